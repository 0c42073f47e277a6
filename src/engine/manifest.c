/* The manifest of the bundled data (data/datasets.json): the names the CLI
 * and the service resolve (--symbols GOOG) to files, with what each holds.
 *
 *   {"datasets": [{"name": "GOOG", "description": "...", "file": "GOOG.csv",
 *                  "bars": 2148, "start": "2004-08-19", "end": "2013-03-01",
 *                  "frequency": "daily"}, ...]}
 */
#include "common/util.h"
#include "stratbox/engine.h"

#include <errno.h>
#include <jansson.h>
#include <string.h>
#include <strings.h>

#define MAX_MANIFEST_BYTES (1u << 20)

void bt_manifest_free(bt_manifest *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->n; i++) {
		bt_dataset *s = &m->sets[i];
		free(s->name);
		free(s->description);
		free(s->file);
		free(s->frequency);
		free(s->start);
		free(s->end);
	}
	free(m->sets);
	free(m->dir);
	free(m);
}

static int get_str(json_t *o, const char *key, char **out, const char *path, size_t i,
		   sbx_error **err)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_string(v) || json_string_length(v) == 0)
		return sbx_error_set(err, 0, "%s: dataset %zu: \"%s\" must be a non-empty string", path,
				     i + 1, key);
	*out = strdup(json_string_value(v));
	return *out ? 0 : sbx_error_set(err, ENOMEM, "%s", path);
}

static int read_entry(json_t *o, bt_manifest *m, size_t i, const char *path, sbx_error **err)
{
	bt_dataset *s = &m->sets[i];
	cleanup_free char *file = NULL;
	if (!json_is_object(o))
		return sbx_error_set(err, 0, "%s: dataset %zu is not an object", path, i + 1);
	if (get_str(o, "name", &s->name, path, i, err) < 0 ||
	    get_str(o, "description", &s->description, path, i, err) < 0 ||
	    get_str(o, "file", &file, path, i, err) < 0 ||
	    get_str(o, "frequency", &s->frequency, path, i, err) < 0 ||
	    get_str(o, "start", &s->start, path, i, err) < 0 ||
	    get_str(o, "end", &s->end, path, i, err) < 0)
		return -1;
	json_t *bars = json_object_get(o, "bars");
	if (!json_is_integer(bars) || json_integer_value(bars) <= 0)
		return sbx_error_set(err, 0, "%s: dataset %zu: \"bars\" must be a positive integer",
				     path, i + 1);
	s->bars = (size_t) json_integer_value(bars);
	if (strchr(file, '/') != NULL || file[0] == '.')
		return sbx_error_set(err, 0, "%s: dataset %s: file '%s' must be a plain name in the "
				     "manifest's directory", path, s->name, file);
	for (size_t j = 0; j < i; j++)
		if (strcasecmp(m->sets[j].name, s->name) == 0)
			return sbx_error_set(err, 0, "%s: dataset %s is listed twice", path, s->name);
	s->file = str_printf("%s/%s", m->dir, file);
	return s->file ? 0 : sbx_error_set(err, ENOMEM, "%s", path);
}

int bt_manifest_load(const char *path, bt_manifest **out, sbx_error **err)
{
	cleanup_free char *text = NULL;
	size_t len = 0;
	if (read_file_alloc(path, MAX_MANIFEST_BYTES, &text, &len, err) < 0)
		return -1;
	json_error_t jerr;
	json_t *root = json_loadb(text, len, 0, &jerr);
	if (root == NULL)
		return sbx_error_set(err, 0, "%s:%d: %s", path, jerr.line, jerr.text);
	json_t *list = json_object_get(root, "datasets");
	if (!json_is_array(list) || json_array_size(list) == 0) {
		json_decref(root);
		return sbx_error_set(err, 0, "%s: no \"datasets\" list", path);
	}
	bt_manifest *m = calloc(1, sizeof(*m));
	const char *slash = strrchr(path, '/');
	if (m != NULL) {
		m->dir = slash ? strndup(path, (size_t) (slash - path)) : strdup(".");
		m->sets = calloc(json_array_size(list), sizeof(bt_dataset));
	}
	if (m == NULL || m->dir == NULL || m->sets == NULL) {
		bt_manifest_free(m);
		json_decref(root);
		return sbx_error_set(err, ENOMEM, "%s", path);
	}
	for (size_t i = 0; i < json_array_size(list); i++) {
		m->n = i + 1; /* so that a failure frees what was read */
		if (read_entry(json_array_get(list, i), m, i, path, err) < 0) {
			bt_manifest_free(m);
			json_decref(root);
			return -1;
		}
	}
	json_decref(root);
	*out = m;
	return 0;
}

const bt_dataset *bt_manifest_find(const bt_manifest *m, const char *name)
{
	for (size_t i = 0; m && name && i < m->n; i++)
		if (strcasecmp(m->sets[i].name, name) == 0)
			return &m->sets[i];
	return NULL;
}
