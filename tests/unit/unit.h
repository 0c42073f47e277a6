/* The unit suite's test functions: the pure parts, no root needed. */
#ifndef STRATBOX_TEST_UNIT_H
#define STRATBOX_TEST_UNIT_H

#define UNIT_TESTS(X)                                                                              \
	X(size_parser_takes_suffixes_refuses_junk) X(duration_parser_takes_units_refuses_zero)     \
	X(cpus_parser_gives_millicpus_in_range) X(format_size_uses_exact_unit)                     \
	X(invalid_utf8_becomes_replacement_chars) X(verdict_follows_documented_precedence)         \
	X(verdict_json_is_valid_and_complete) X(seccomp_prebuilt_matches)                          \
	X(seccomp_run_allows_programs_refuses_escapes)                                             \
	X(seccomp_run_checks_clone_ioctl_socket_args) X(seccomp_other_abis_refused_and_named)      \
	X(bad_config_refused_defaults_are_reference) X(mount_plan_binds_only_listed_host_paths)    \
	X(job_cgroup_names_unique_stale_ones_detected) X(tokenizer_finds_tokens_and_positions)     \
	X(escapes_refused_by_rule_naming_technique)                                                \
	X(strategies_pass_false_rejections_under_goal) X(validator_rules_decide_each_case)         \
	X(policy_file_replaces_defaults_bad_one_refused)                                           \
	X(seccomp_job_refuses_exec_processes_sockets)                                              \
	X(seccomp_zygote_refusals_rank_below_job_notify) X(seccomp_host_wide_resources_refused)    \
	X(seccomp_documented_refusals_hold) X(seccomp_allows_measured_python_syscalls)             \
	X(proc_table_documented) X(etc_table_documented)                                           \
	X(copy_sources_sized_symlink_sources_refused) X(job_from_json_reads_every_key)             \
	X(job_from_json_names_bad_values) X(error_kind_from_errno_place_kept)                      \
	X(queue_url_parses_credentials_db_and_socket) X(queue_url_refuses_bad_ones_saying_why)     \
	X(queue_url_rediss_takes_ca_and_client_cert)                                               \
	ENGINE_TESTS(X) REPORT_TESTS(X) ENV_TESTS(X) ENV_ATTACK_TESTS(X)

/* The backtest engine: test_engine.c (the broker), test_engine_data.c (readers,
 * manifest, alignment, calendar), test_engine_metrics.c (formulas, JSON). */
#define ENGINE_TESTS(X)                                                                            \
	X(engine_market_order_fills_at_next_open) X(engine_trade_on_close_fills_at_same_close)     \
	X(engine_costs_move_fills_against_trader)                                                  \
	X(engine_sizes_follow_fraction_margin_and_step)                                            \
	X(engine_account_values_positions_at_close) X(engine_limit_and_stop_fill_in_bar_range)     \
	X(engine_stop_limit_is_limit_once_triggered)                                               \
	X(engine_stop_loss_first_when_bar_reaches_both) X(engine_opposite_orders_close_fifo)       \
	X(engine_close_and_cancel_drop_pending_orders)                                             \
	X(engine_pending_orders_capped)                                                            \
	X(engine_open_trades_capped_and_closed_in_order)                                           \
	X(engine_zero_equity_ends_run)                                                             \
	X(engine_held_position_valued_at_last_close) X(engine_symbol_without_bar_does_not_fill)    \
	X(engine_bad_order_refused_naming_field) X(engine_targets_trade_to_their_fraction)         \
	X(engine_runs_share_data_across_threads) X(engine_csv_reader_takes_every_layout)           \
	X(engine_bad_csv_refused_naming_line) X(engine_bundled_data_matches_manifest)              \
	X(engine_bad_manifest_refused_naming_field) X(engine_symbols_align_on_union_of_times)      \
	X(engine_dates_parse_and_round_trip) X(engine_frequency_inferred_from_bar_spacing)         \
	X(engine_metrics_returns_as_worked_by_hand)                                                \
	X(engine_metrics_drawdowns_as_worked_by_hand) X(engine_hourly_bars_resample_to_days)       \
	X(engine_metrics_trades_as_worked_by_hand) X(engine_equity_tracking_close_has_beta_1)      \
	X(engine_result_json_lists_every_metric) X(engine_log_return_matches_log1pl)               \
	X(engine_damaged_csv_reads_or_names_file) X(engine_host_thread_keeps_off_the_slots_cpu)

/* The HTML report: test_report.c (escapers, failed runs, ranking, heat map, bars). */
#define REPORT_TESTS(X)                                                                            \
	X(report_text_escape_leaves_no_markup_replaces_bad_utf8)                                   \
	X(report_script_json_cannot_end_script_reads_back_equal)                                   \
	X(report_failed_run_page_shows_status_escaped_no_metrics_no_script)                        \
	X(report_bad_input_refused_or_noted_without_scripts)                                       \
	X(report_grid_ranks_by_metric_direction_failed_runs_last)                                  \
	X(report_bars_chart_each_symbol_only_its_own_bars)

/* Images and trees for environments: test_env_image.c. */
#define ENV_TESTS(X)                                                                               \
	X(env_docker_archive_whiteouts_and_opaque_dir_give_expected_tree)                          \
	X(env_oci_layout_gives_same_tree_and_digest_as_docker) X(env_gzip_layers_give_same_tree)   \
	X(env_newer_docker_save_and_oci_indexes_accepted)                                          \
	X(env_wrong_blob_digest_refused_dest_removed) X(env_foreign_architecture_refused) X(env_dotdot_names_refused_nothing_outside)  \
	X(env_absolute_names_land_inside_dest) X(env_symlink_escapes_written_inside_dest)          \
	X(env_hardlinks_only_to_earlier_entries_inside)                                            \
	X(env_devices_and_fifos_skipped_and_counted)                                               \
	X(env_setuid_sticky_and_group_write_cleared_and_counted)                                   \
	X(env_huge_declared_size_and_truncation_refused)                                           \
	X(env_decompression_bomb_refused_under_limit)                                              \
	X(env_zstd_and_unknown_entries_refused_saying_so) X(env_long_gnu_and_pax_names_read)       \
	X(env_tree_copy_keeps_symlink_text_skips_fifo)                                             \
	X(env_tree_digest_same_for_equal_trees_changes_with_byte_mode_link)                        \
	X(env_tree_seal_removes_write_bits_remove_restores)                                        \
	X(env_fixture_image_imports_numpy_pandas_in_chroot)

/* tests/unit/test_env_attacks.c */
#define ENV_ATTACK_TESTS(X)                                                                        \
	X(envatk_tree_etc_symlink_binds_nothing_of_the_host)                                       \
	X(envatk_tree_links_copied_as_text_not_followed)                                           \
	X(envatk_tree_usr_link_refused_usr_or_etc_file_binds_nothing)                             \
	X(envatk_tree_file_swapped_for_fifo_never_hangs_copy_or_digest)

#define DECLARE(name) void u_##name(void);
UNIT_TESTS(DECLARE)
#undef DECLARE

#include <stddef.h>

/* For each row of a table in the checkout's doc (e.g. "docs/sandbox.md")
 * under the heading `heading` (the whole heading line, e.g. "### /etc")
 * that starts with `prefix`, call row(); returns how many.  Skips the test
 * when the doc is not found; fails when the section is missing. */
size_t doc_table_rows(const char *doc, const char *heading, const char *prefix,
		      void (*row)(const char *doc_path, const char *line, void *arg), void *arg);

#endif
