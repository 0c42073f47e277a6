/* Bearer tokens (--token-file): "NAME TOKEN" a line, '#' comments and blank
 * lines ignored.  Each NAME is a tenant.  Only the tokens' SHA-256 stay in
 * memory; a presented token is hashed and compared with every entry
 * without an early exit, so neither a token's prefix nor which entry
 * matched shows in the time an answer takes. */
#include "common/hash.h"
#include "common/util.h"
#include "server/internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

struct token {
	char name[64];
	char hash[SHA256_HEX_LEN + 1];
};

struct auth {
	size_t n;
	struct token *t;
};

void auth_free(struct auth *a)
{
	if (a == NULL)
		return;
	if (a->t)
		explicit_bzero(a->t, a->n * sizeof(*a->t));
	free(a->t);
	free(a);
}

bool auth_enabled(const struct auth *a)
{
	return a != NULL && a->n > 0;
}

static bool name_ok(const char *s)
{
	if (*s == '\0' || strlen(s) >= 64)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char) *s) && *s != '-' && *s != '_' && *s != '.')
			return false;
	return true;
}

int auth_load(const char *path, struct auth **out, sbx_error **err)
{
	*out = NULL;
	struct auth *a = calloc(1, sizeof(*a));
	if (a == NULL)
		return sbx_error_set(err, ENOMEM, "tokens");
	if (path == NULL) {
		*out = a;
		return 0;
	}
	cleanup_fclose FILE *f = fopen(path, "re");
	if (f == NULL) {
		auth_free(a);
		return sbx_error_set(err, errno, "--token-file %s", path);
	}
	char line[1024];
	unsigned lineno = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		char *save = NULL, *name = strtok_r(line, " \t\r\n", &save);
		if (name == NULL || name[0] == '#')
			continue;
		char *tok = strtok_r(NULL, " \t\r\n", &save), *extra = strtok_r(NULL, " \t\r\n", &save);
		const char *why = NULL;
		if (!name_ok(name))
			why = "the name is 1 to 63 letters, digits, '-', '_' or '.'";
		else if (tok == NULL || extra != NULL)
			why = "a line is NAME TOKEN";
		else if (strlen(tok) < 16)
			why = "a token has at least 16 characters";
		for (size_t i = 0; why == NULL && i < a->n; i++)
			if (strcmp(a->t[i].name, name) == 0)
				why = "the name is given twice";
		if (why != NULL) {
			explicit_bzero(line, sizeof(line));
			auth_free(a);
			return sbx_error_set_at(err, SBX_ERR_INVALID, lineno, 0, "%s:%u: %s", path,
						lineno, why);
		}
		struct token *t = realloc(a->t, (a->n + 1) * sizeof(*t));
		if (t == NULL) {
			auth_free(a);
			return sbx_error_set(err, ENOMEM, "tokens");
		}
		a->t = t;
		snprintf(t[a->n].name, sizeof(t[a->n].name), "%s", name);
		sha256_hex(tok, strlen(tok), t[a->n].hash);
		a->n++;
		explicit_bzero(line, sizeof(line));
	}
	if (a->n == 0) {
		auth_free(a);
		return sbx_error_set(err, 0, "--token-file %s: no tokens (a line is NAME TOKEN)",
				     path);
	}
	*out = a;
	return 0;
}

const char *auth_tenant(const struct auth *a, const char *authorization)
{
	if (!auth_enabled(a))
		return "default";
	if (authorization == NULL || strncasecmp(authorization, "Bearer ", 7) != 0)
		return NULL;
	const char *tok = authorization + 7;
	while (*tok == ' ')
		tok++;
	char h[SHA256_HEX_LEN + 1];
	sha256_hex(tok, strlen(tok), h);
	const char *found = NULL;
	for (size_t i = 0; i < a->n; i++) {
		unsigned char diff = 0;
		for (size_t k = 0; k < SHA256_HEX_LEN; k++)
			diff |= (unsigned char) (h[k] ^ a->t[i].hash[k]);
		/* no branch on a secret-dependent value but the final one */
		found = diff == 0 ? a->t[i].name : found;
	}
	return found;
}
