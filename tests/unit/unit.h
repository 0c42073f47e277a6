/* The unit suite's test functions: the pure parts, no root needed. */
#ifndef STRATBOX_TEST_UNIT_H
#define STRATBOX_TEST_UNIT_H

#define UNIT_TESTS(X)                                                                              \
	X(parse_size) X(parse_duration) X(parse_cpus) X(format_size) X(utf8)                       \
	X(verdict_precedence) X(verdict_json) X(seccomp_prebuilt_matches) X(seccomp_run_policy)    \
	X(seccomp_arguments) X(seccomp_other_abis) X(config_validation) X(rootfs_plan)             \
	X(cgroup_names) X(tokenizer) X(validate_escapes) X(validate_strategies)         \
	X(validate_rules) X(validate_policy_file) X(seccomp_job_policy) X(seccomp_zygote_policy)  \
	X(seccomp_host_resources) X(proc_table_documented)   \
	X(rootfs_plan_sources)

#define DECLARE(name) void u_##name(void);
UNIT_TESTS(DECLARE)
#undef DECLARE

#endif
