/* Stub for the build-time generator itself: no prebuilt programs yet. */
#include "sandbox/internal.h"

const struct seccomp_prog *seccomp_prebuilt(enum sbx_policy policy)
{
	(void) policy;
	return NULL;
}
