/* A backtest's bars gathered from where a front end names them: files, the
 * bundled manifest (or a directory of NAME.csv), text in memory (a request
 * body's inline CSV); then clipped to the run's dates and aligned.  The CLI
 * and the service share it, with the provenance each series came with (its
 * file or "inline", its SHA-256, its bars).
 *
 * Reads files; runs no code. */
#include "common/hash.h"
#include "common/util.h"
#include "stratbox/engine.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

char *bt_manifest_default_path(void)
{
	const char *env = getenv("STRATBOX_DATA_DIR");
	if (env != NULL && *env)
		return str_printf("%s/datasets.json", env);
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash != NULL)
			*slash = '\0';
		static const char *const rel[] = { "data", "../data", "../../data",
						   "../share/stratbox/data" };
		for (size_t i = 0; i < ARRAY_SIZE(rel); i++) {
			char *p = str_printf("%s/%s/datasets.json", exe, rel[i]);
			if (p != NULL && access(p, R_OK) == 0)
				return p;
			free(p);
		}
	}
#ifdef STRATBOX_SOURCE_DATA
	/* a build outside the tree (make BUILDROOT=...): the tree it came from */
	if (access(STRATBOX_SOURCE_DATA "/datasets.json", R_OK) == 0)
		return strdup(STRATBOX_SOURCE_DATA "/datasets.json");
#endif
	return strdup("/usr/share/stratbox/data/datasets.json");
}

void bt_inputs_clear(bt_inputs *in)
{
	for (size_t i = 0; i < in->n; i++)
		bt_series_free(in->series[i]);
	bt_data_free(in->data);
	json_decref(in->files);
	memset(in, 0, sizeof(*in));
}

/* Take s (owned) with its provenance. */
static int add_series(bt_inputs *in, bt_series *s, const char *file, const char *hash,
		      sbx_error **err)
{
	if (in->files == NULL && (in->files = json_array()) == NULL) {
		bt_series_free(s);
		return sbx_error_set(err, ENOMEM, "data");
	}
	json_t *f = json_pack("{s:s,s:s,s:s,s:I}", "symbol", s->symbol, "file", file, "sha256", hash,
			      "bars", (json_int_t) s->n);
	if (f == NULL || json_array_append_new(in->files, f) < 0) {
		bt_series_free(s);
		return sbx_error_set(err, ENOMEM, "data");
	}
	in->series[in->n++] = s;
	return 0;
}

static int room(const bt_inputs *in, sbx_error **err)
{
	if (in->n == BT_MAX_SYMBOLS)
		return sbx_error_set(err, 0, "at most %d symbols", BT_MAX_SYMBOLS);
	return 0;
}

int bt_inputs_add_file(bt_inputs *in, const char *symbol, const char *path, sbx_error **err)
{
	char hash[SHA256_HEX_LEN + 1];
	bt_series *s = NULL;
	if (room(in, err) < 0 || bt_series_read(path, symbol, &s, err) < 0)
		return -1;
	if (sha256_file_hex(path, hash, err) < 0) {
		bt_series_free(s);
		return -1;
	}
	return add_series(in, s, path, hash, err);
}

int bt_inputs_add_text(bt_inputs *in, const char *symbol, const char *text, size_t len,
		       sbx_error **err)
{
	char hash[SHA256_HEX_LEN + 1];
	bt_series *s = NULL;
	if (room(in, err) < 0 || bt_series_parse(text, len, symbol, symbol, &s, err) < 0)
		return -1;
	sha256_hex(text, len, hash);
	return add_series(in, s, "inline", hash, err);
}

int bt_inputs_add_dataset(bt_inputs *in, const bt_manifest *m, const char *dir, const char *name,
			  sbx_error **err)
{
	if (*name == '\0' || strchr(name, '/') != NULL || strcmp(name, "..") == 0)
		return sbx_error_set(err, 0, "'%s' is not a dataset name", name);
	if (dir != NULL) {
		cleanup_free char *p = str_printf("%s/%s.csv", dir, name);
		if (p != NULL && access(p, R_OK) != 0) {
			free(p);
			p = str_printf("%s/%s.txt", dir, name);
		}
		if (p == NULL)
			return sbx_error_set(err, ENOMEM, "path");
		return bt_inputs_add_file(in, name, p, err);
	}
	const bt_dataset *ds = m ? bt_manifest_find(m, name) : NULL;
	if (ds != NULL)
		return bt_inputs_add_file(in, ds->name, ds->file, err);
	size_t cap = 1;
	for (size_t k = 0; m && k < m->n; k++)
		cap += strlen(m->sets[k].name) + 2;
	cleanup_free char *names = calloc(cap, 1);
	for (size_t k = 0; names && m && k < m->n; k++)
		strcat(strcat(names, k ? ", " : ""), m->sets[k].name);
	return sbx_error_set(err, 0, "no bundled dataset '%s' (there are: %s)", name,
			     names ? names : "");
}

int bt_inputs_finish(bt_inputs *in, const char *start, const char *end, sbx_error **err)
{
	int64_t t0 = INT64_MIN, t1 = INT64_MAX;
	if (start && bt_time_parse(start, false, &t0, err) < 0)
		return sbx_error_wrap(err, "start");
	if (end && bt_time_parse(end, true, &t1, err) < 0)
		return sbx_error_wrap(err, "end");
	if (in->n == 0)
		return sbx_error_set(err, 0, "no symbols: give at least one dataset");
	for (size_t i = 0; (start || end) && i < in->n; i++)
		if (bt_series_clip(in->series[i], t0, t1, err) < 0)
			return sbx_error_wrap(err, "%s", in->series[i]->source && *in->series[i]->source
								  ? in->series[i]->source
								  : in->series[i]->symbol);
	return bt_data_new(in->series, in->n, &in->data, err);
}
