/* The Python runtime suite's tests (one file per area). */
#ifndef STRATBOX_TEST_PYRT_TESTS_H
#define STRATBOX_TEST_PYRT_TESTS_H

#define PYRT_TESTS(X)                                                                              \
	X(output_and_metrics) X(exception) X(data) X(timeout) X(memory_limit) X(output_limit)      \
	X(deterministic) X(runtime_guard) X(protocol_validated) X(job_seccomp) X(job_identity)     \
	X(jobs_isolated) X(slot_not_reused) X(slot_crashes) X(zygote_restart)                      \
	X(idle_slot_memory) X(cli_exec) X(cli_batch) X(stop_leaves_nothing) X(forged_control)     \
	X(prefault_invisible) X(doctor) X(cgroup_recycled) X(cgroup_recycled_v2)        \
	X(cgroup_recycled_v2_body) X(batch_killed) X(writes_private_sequential)                  \
	X(writes_private_concurrent) X(writes_freed_after_job) X(forged_control_types)                      \
	X(forged_report_hides_nothing) X(forged_error_frames) X(forged_frames_malformed)           \
	X(forged_listener_fd) X(hook_capabilities) X(hook_code) X(hook_frames) X(hook_imports)      \
	X(hook_library_works) X(job_proc_hidden) X(checked_run_refuses_before_the_sandbox)          \
	X(batch_job_keys_enforced)                                                                 \
	BACKTEST_TESTS(X)

/* tests/pyrt/test_backtest.c */
#define BACKTEST_TESTS(X)                                                                          \
	X(bt_lookahead_arrays) X(bt_lookahead_process) X(bt_lookahead_early_post)                  \
	X(bt_lookahead_header) X(bt_header_layout_forged) X(bt_lookahead_vectorised)                \
	X(bt_forged_orders_refused) X(bt_forged_answers_ignored) X(bt_forged_protocol)             \
	X(bt_limits) X(bt_sweep_one_fails) X(bt_module_aliases_match) X(bt_base_strategy_imports)     \
	X(bt_sweep_slots_no_channel) X(bt_forged_racing_answers) X(bt_lookahead_early_post_numpy)  \
	X(bt_cli)

#define DECLARE(name) void p_##name(void);
PYRT_TESTS(DECLARE)
#undef DECLARE

#endif
