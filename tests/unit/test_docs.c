/* The lists the docs keep of what the code does, checked against the code:
 * docs/sandbox.md's hidden /proc entries and /etc files against rootfs.c's
 * tables (the doc once promised masks the code did not make, and an /etc
 * file it did not bind).  The seccomp lists are checked in
 * test_seccomp.c, with the BPF interpreter. */
#include "harness.h"
#include "helpers.h"
#include "sandbox/internal.h"
#include "unit.h"

#include <limits.h>
#include <sys/stat.h>

size_t doc_table_rows(const char *doc, const char *heading, const char *prefix,
		      void (*row)(const char *doc_path, const char *line, void *arg), void *arg)
{
	char path[PATH_MAX + 64];
	FILE *f = test_open_checkout_file(doc, path, sizeof(path));
	if (f == NULL)
		test_skip("%s not found (run the suite from the checkout)", doc);
	char line[2048];
	bool in_section = false, found = false;
	size_t rows = 0;
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#') {
			in_section = strncmp(line, heading, strlen(heading)) == 0 &&
				     (line[strlen(heading)] == '\n' || line[strlen(heading)] == '\0');
			found = found || in_section;
			continue;
		}
		if (!in_section || strncmp(line, prefix, strlen(prefix)) != 0)
			continue;
		row(path, line, arg);
		rows++;
	}
	fclose(f);
	CHECK(found, "%s has no section \"%s\"", path, heading);
	return rows;
}

/* ---- /proc --------------------------------------------------------------- */

struct seen {
	bool seen[64];
};

/* "| `/proc/NAME` | masked | ..." or "| read-only |" */
static void proc_row(const char *path, const char *line, void *arg)
{
	struct seen *s = arg;
	char name[64], how[32];
	CHECK(sscanf(line, "| `/proc/%63[^`]` | %31[a-z-] |", name, how) == 2,
	      "unparsed row in %s: %s", path, line);
	size_t i = 0;
	while (i < rootfs_nproc_entries && strcmp(rootfs_proc_entries[i].name, name) != 0)
		i++;
	CHECK(i < rootfs_nproc_entries, "%s lists /proc/%s, which the code does not hide", path,
	      name);
	CHECK(!s->seen[i], "%s lists /proc/%s twice", path, name);
	s->seen[i] = true;
	const char *want = rootfs_proc_entries[i].how == PROC_MASK ? "masked" : "read-only";
	CHECK(strcmp(how, want) == 0, "%s says /proc/%s is %s, the code makes it %s", path, name,
	      how, want);
}

void u_proc_table_documented(void)
{
	static const char heading[] = "### Hidden /proc entries";
	struct seen s = { { false } };
	CHECK(rootfs_nproc_entries <= 64);
	size_t rows = doc_table_rows("docs/sandbox.md", heading, "| `/proc/", proc_row, &s);
	for (size_t i = 0; i < rootfs_nproc_entries; i++)
		CHECK(s.seen[i], "docs/sandbox.md does not list /proc/%s (section \"%s\")",
		      rootfs_proc_entries[i].name, heading);
	CHECK_INT_EQ(rows, rootfs_nproc_entries);
}

/* ---- /etc ---------------------------------------------------------------- */

/* "| `/etc/NAME` | host | ..." or "| written |" */
static void etc_row(const char *path, const char *line, void *arg)
{
	struct seen *s = arg;
	char name[64], how[32];
	CHECK(sscanf(line, "| `/etc/%63[^`]` | %31[a-z] |", name, how) == 2,
	      "unparsed row in %s: %s", path, line);
	size_t i = 0;
	while (i < rootfs_netc_entries && strcmp(rootfs_etc_entries[i].name, name) != 0)
		i++;
	CHECK(i < rootfs_netc_entries, "%s lists /etc/%s, which the code does not provide", path,
	      name);
	CHECK(!s->seen[i], "%s lists /etc/%s twice", path, name);
	s->seen[i] = true;
	const char *want = rootfs_etc_entries[i].content ? "written" : "host";
	CHECK(strcmp(how, want) == 0, "%s says /etc/%s is %s, the code makes it %s", path, name,
	      how, want);
}

/* The doc's /etc table is rootfs.c's, and the mount plan puts nothing else
 * in /etc: each written file is written, each host entry is the host's
 * (bound, or a symlink copied) when the host has it. */
void u_etc_table_documented(void)
{
	static const char heading[] = "### /etc";
	struct seen s = { { false } };
	CHECK(rootfs_netc_entries <= 64);
	size_t rows = doc_table_rows("docs/sandbox.md", heading, "| `/etc/", etc_row, &s);
	for (size_t i = 0; i < rootfs_netc_entries; i++)
		CHECK(s.seen[i], "docs/sandbox.md does not list /etc/%s (section \"%s\")",
		      rootfs_etc_entries[i].name, heading);
	CHECK_INT_EQ(rows, rootfs_netc_entries);

	sbx_config *c = sbx_config_new();
	sbx_error *err = NULL;
	struct rootfs_plan p;
	CHECK(rootfs_plan_build(c, &p, &err) == 0, "%s", err ? err->msg : "");
	char etc[PATH_MAX];
	snprintf(etc, sizeof(etc), "%s/etc/", p.base);
	bool planned[64] = { false };
	for (size_t k = 0; k < p.n; k++) {
		const struct rootfs_op *op = &p.ops[k];
		if (op->dst == NULL || strncmp(op->dst, etc, strlen(etc)) != 0)
			continue;
		const char *name = op->dst + strlen(etc);
		size_t i = 0;
		while (i < rootfs_netc_entries && strcmp(rootfs_etc_entries[i].name, name) != 0)
			i++;
		CHECK(i < rootfs_netc_entries, "the mount plan puts /etc/%s, not in the table", name);
		if (rootfs_etc_entries[i].content) {
			CHECK(op->kind == OP_FILE, "/etc/%s: op %d, not written", name, (int) op->kind);
			CHECK_STR_EQ(op->src, rootfs_etc_entries[i].content);
		} else {
			CHECK(op->kind == OP_SYMLINK || (op->kind == OP_BIND && !op->writable),
			      "/etc/%s: op %d, not the host's read-only", name, (int) op->kind);
		}
		planned[i] = true;
	}
	for (size_t i = 0; i < rootfs_netc_entries; i++) {
		char host[PATH_MAX];
		snprintf(host, sizeof(host), "/etc/%s", rootfs_etc_entries[i].name);
		struct stat st;
		bool want = rootfs_etc_entries[i].content || lstat(host, &st) == 0;
		CHECK(planned[i] == want, "/etc/%s %s in the mount plan", rootfs_etc_entries[i].name,
		      planned[i] ? "is" : "is not");
	}
	rootfs_plan_free(&p);
	sbx_config_free(c);
}
