/* libFuzzer target: the Python tokenizer and the validator's policy on
 * arbitrary bytes.  libFuzzer hands each input in a buffer of exactly its
 * size, so with ASan any read past the end crashes.  Seed corpus: the
 * escape attempts and strategies in tests/validate/. */
#include "stratbox/validate.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static sbx_check_policy *policy;
	if (policy == NULL)
		policy = sbx_check_policy_default();
	struct sbx_check_result r;
	sbx_error *err = NULL;
	if (sbx_check_source(policy, (const char *) data, size, &r, &err) == 0) {
		char *json = sbx_check_result_to_json(&r, "fuzz.py");
		free(json);
		sbx_check_result_clear(&r);
	} else {
		sbx_error_free(err);
	}
	return 0;
}
