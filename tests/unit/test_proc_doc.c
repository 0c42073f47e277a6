/* docs/sandbox.md's list of hidden /proc entries and the code's table
 * (rootfs_proc_entries, applied to every procfs the runtime mounts) say
 * the same: the doc once promised masks the code did not make. */
#include "harness.h"
#include "helpers.h"
#include "sandbox/internal.h"
#include "unit.h"

#include <limits.h>

void u_proc_table_documented(void)
{
	char path[PATH_MAX + 64];
	FILE *f = test_open_checkout_file("docs/sandbox.md", path, sizeof(path));
	if (f == NULL)
		test_skip("docs/sandbox.md not found (run the suite from the checkout)");
	/* rows "| `/proc/NAME` | masked | ..." or "| read-only |" in the
	 * section that lists them */
	static const char heading[] = "### Hidden /proc entries";
	char line[1024];
	bool in_section = false;
	size_t rows = 0;
	bool seen[64] = { false };
	CHECK(rootfs_nproc_entries <= 64);
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "#", 1) == 0) {
			in_section = strncmp(line, heading, sizeof(heading) - 1) == 0;
			continue;
		}
		if (!in_section || strncmp(line, "| `/proc/", 9) != 0)
			continue;
		char name[64], how[32];
		CHECK(sscanf(line, "| `/proc/%63[^`]` | %31[a-z-] |", name, how) == 2,
		      "unparsed row in %s: %s", path, line);
		size_t i = 0;
		while (i < rootfs_nproc_entries && strcmp(rootfs_proc_entries[i].name, name) != 0)
			i++;
		CHECK(i < rootfs_nproc_entries, "%s lists /proc/%s, which the code does not hide",
		      path, name);
		CHECK(!seen[i], "%s lists /proc/%s twice", path, name);
		seen[i] = true;
		const char *want = rootfs_proc_entries[i].how == PROC_MASK ? "masked" : "read-only";
		CHECK(strcmp(how, want) == 0, "%s says /proc/%s is %s, the code makes it %s", path,
		      name, how, want);
		rows++;
	}
	fclose(f);
	for (size_t i = 0; i < rootfs_nproc_entries; i++)
		CHECK(seen[i], "%s does not list /proc/%s (section \"%s\")", path,
		      rootfs_proc_entries[i].name, heading);
	CHECK_INT_EQ(rows, rootfs_nproc_entries);
}
