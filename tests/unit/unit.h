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
	X(rootfs_plan_sources) ENGINE_TESTS(X) REPORT_TESTS(X)

/* The backtest engine: test_engine.c (the broker), test_engine_data.c (readers,
 * manifest, alignment, calendar), test_engine_metrics.c (formulas, JSON). */
#define ENGINE_TESTS(X)                                                                            \
	X(engine_market_order) X(engine_trade_on_close) X(engine_costs) X(engine_sizes)            \
	X(engine_account) X(engine_limit_stop) X(engine_stop_limit) X(engine_sl_tp) X(engine_fifo) \
	X(engine_close_cancel) X(engine_ruin) X(engine_hold) X(engine_symbols)                     \
	X(engine_bad_orders) X(engine_targets) X(engine_threads) X(engine_csv_layouts)             \
	X(engine_csv_errors) X(engine_manifest) X(engine_manifest_errors) X(engine_align)          \
	X(engine_dates) X(engine_calendar) X(engine_metrics_returns) X(engine_metrics_drawdown)    \
	X(engine_metrics_periods) X(engine_metrics_trades) X(engine_metrics_beta) X(engine_json)    \
	X(engine_log_ratio) X(engine_csv_garbage)

/* The HTML report: test_report.c (escapers, failed runs, ranking, heat map, bars). */
#define REPORT_TESTS(X)                                                                            \
	X(report_escape_text) X(report_escape_script_json) X(report_failed_run)                    \
	X(report_bad_input) X(report_grid_ranking) X(report_bars)

#define DECLARE(name) void u_##name(void);
UNIT_TESTS(DECLARE)
#undef DECLARE

#endif
