/* libFuzzer target: the host's parser of what a running job sends on its
 * control socket (src/pyrt/protocol.c), on arbitrary bytes.  The input is
 * cut into frames at each 0xff byte (a byte valid JSON text never holds),
 * so one input is a sequence of frames, as a job sends them; after each,
 * the kept exception report must stay within its bounds and be valid
 * UTF-8 text (jansson re-reads it).  Seeds: fuzz/protocol-seeds/. */
#include "pyrt/protocol.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_text(const char *s, size_t max)
{
	if (s == NULL)
		return;
	size_t n = strlen(s);
	/* clipped to max bytes, each sanitised to at most 3 */
	if (n > max * 3)
		abort();
	json_t *j = json_string(s); /* NULL for invalid UTF-8 */
	if (j == NULL)
		abort();
	json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pyrt_reports r;
	memset(&r, 0, sizeof(r));
	size_t start = 0;
	for (size_t i = 0; i <= size; i++) {
		if (i < size && data[i] != 0xff)
			continue;
		/* each frame in a buffer of its own size: reads past it crash */
		size_t len = i - start;
		char *frame = malloc(len ? len : 1);
		if (frame == NULL)
			abort();
		memcpy(frame, data + start, len);
		pyrt_frame_apply(&r, frame, len);
		free(frame);
		start = i + 1;
		if ((r.exc.type == NULL) != (r.exc.message == NULL))
			abort();
		check_text(r.exc.type, PYRT_MAX_EXC_TYPE);
		check_text(r.exc.message, PYRT_MAX_EXC_MESSAGE);
		check_text(r.exc.traceback, PYRT_MAX_TRACEBACK);
		if (r.rejected > r.frames)
			abort();
	}
	pyrt_reports_clear(&r);
	return 0;
}
