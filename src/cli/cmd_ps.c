/* stratbox ps: the sandboxes and pools running on this machine, from the
 * run directory (docs/operations.md).  Stale entries (their supervisor is
 * gone) are never shown as running: they are counted on stderr, for
 * `stratbox cleanup`.
 *
 * Exit code: 0, 1 when the run directory cannot be read, 2 on a usage
 * error. */
#include "cli/cli.h"
#include "common/parse.h"
#include "common/util.h"
#include "stratbox/sandbox.h"

#include <getopt.h>
#include <jansson.h>
#include <string.h>
#include <time.h>

static const char ps_usage[] =
	"usage: stratbox ps [--json] [--all]\n"
	"\n"
	"The sandboxes (stratbox run, a pool's zygote) and Python pools running on this\n"
	"machine, from the run directory (STRATBOX_RUN_DIR, /run/stratbox as root, else\n"
	"$XDG_RUNTIME_DIR/stratbox or /tmp/stratbox-run-UID).\n"
	"\n"
	"  --json   one JSON array on stdout, an object per entry (docs/cli.md)\n"
	"  --all    stale entries too (their supervisor is gone), marked as such\n";

static double unix_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void format_age(double s, char *buf, size_t size)
{
	if (s < 0)
		s = 0;
	if (s < 120)
		snprintf(buf, size, "%.0fs", s);
	else if (s < 7200)
		snprintf(buf, size, "%.0fm", s / 60);
	else if (s < 172800)
		snprintf(buf, size, "%.0fh", s / 3600);
	else
		snprintf(buf, size, "%.0fd", s / 86400);
}

static json_t *entry_json(const struct sbx_entry *e, double now)
{
	json_t *o = json_object(), *cg = json_array();
	json_object_set_new(o, "id", json_string(e->id));
	json_object_set_new(o, "kind", json_string(e->kind));
	json_object_set_new(o, "env", json_string(e->env));
	json_object_set_new(o, "state", json_string(e->stale ? "stale" : "running"));
	json_object_set_new(o, "pid", e->pid > 0 ? json_integer(e->pid) : json_null());
	json_object_set_new(o, "supervisor_pid", json_integer(e->supervisor_pid));
	json_object_set_new(o, "uid", json_integer(e->uid));
	json_object_set_new(o, "pool", e->parent[0] ? json_string(e->parent) : json_null());
	json_object_set_new(o, "created", json_real(e->created));
	json_object_set_new(o, "age_seconds", json_real(now - e->created));
	json_object_set_new(o, "memory_bytes",
			    e->have_memory ? json_integer((json_int_t) e->memory_bytes) : json_null());
	json_object_set_new(o, "cpu_seconds",
			    e->have_cpu ? json_real((double) e->cpu_ns / 1e9) : json_null());
	for (int i = 0; i < e->ncgroup; i++)
		json_array_append_new(cg, json_string(e->cgroup[i]));
	for (int i = 0; i < e->ncgroup_parent; i++)
		json_array_append_new(cg, json_string(e->cgroup_parent[i]));
	json_object_set_new(o, "cgroups", cg);
	if (strcmp(e->kind, "pool") == 0)
		json_object_set_new(o, "sandboxes", json_integer(e->cgroups_live));
	json_object_set_new(o, "command", json_string(e->command));
	return o;
}

static void print_table(const struct sbx_entry *v, size_t n, bool all, double now)
{
	printf("%-11s  %-6s  %-12s  %7s  %5s  %7s  %8s  %s\n", "ID", "KIND", "ENV", "PID", "AGE",
	       "MEMORY", "CPU", "COMMAND");
	for (size_t i = 0; i < n; i++) {
		const struct sbx_entry *e = &v[i];
		if (e->stale && !all)
			continue;
		char age[16], mem[32] = "-", cpu[32] = "-";
		format_age(now - e->created, age, sizeof(age));
		if (e->have_memory)
			snprintf(mem, sizeof(mem), "%.1fM", (double) e->memory_bytes / 1048576.0);
		if (e->have_cpu)
			snprintf(cpu, sizeof(cpu), "%.2fs", (double) e->cpu_ns / 1e9);
		printf("%-11s  %-6s  %-12s  %7d  %5s  %7s  %8s  %s%s\n", e->id, e->kind, e->env,
		       e->pid > 0 ? e->pid : e->supervisor_pid, age, mem, cpu,
		       e->stale ? "[stale] " : "", e->command);
	}
}

int cmd_ps(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "all", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool json = false, all = false;
	int opt;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'j': json = true; break;
		case 'a': all = true; break;
		case 'h': fputs(ps_usage, stdout); return 0;
		default:
			cli_err("ps: unknown option '%s' (see stratbox ps --help)", argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		cli_err("ps: unexpected argument '%s'", argv[optind]);
		return 2;
	}
	struct sbx_entry *v = NULL;
	size_t n = 0;
	cleanup_error sbx_error *err = NULL;
	if (sbx_entries_list(NULL, &v, &n, &err) < 0) {
		cli_err("ps: %s", err->msg);
		return 1;
	}
	double now = unix_now();
	size_t stale = 0;
	for (size_t i = 0; i < n; i++)
		stale += v[i].stale;
	if (json) {
		json_t *a = json_array();
		for (size_t i = 0; i < n; i++)
			if (all || !v[i].stale)
				json_array_append_new(a, entry_json(&v[i], now));
		char *s = json_dumps(a, JSON_INDENT(2));
		if (s != NULL)
			puts(s);
		free(s);
		json_decref(a);
	} else {
		print_table(v, n, all, now);
	}
	if (stale > 0 && !all)
		cli_err("%zu stale entr%s (supervisor gone): `stratbox cleanup` removes what %s left",
			stale, stale == 1 ? "y" : "ies", stale == 1 ? "it" : "they");
	free(v);
	return 0;
}
