/* The Python runtime suite's tests (one file per area). */
#ifndef STRATBOX_TEST_PYRT_TESTS_H
#define STRATBOX_TEST_PYRT_TESTS_H

#define PYRT_TESTS(X)                                                                              \
	X(result_has_output_and_metrics) X(exception_is_nonzero_exit_with_own_frames)              \
	X(job_reads_its_data_file) X(endless_loop_stopped_at_timeout)                              \
	X(memory_hog_ends_in_memory_limit) X(output_flood_capped_at_output_limit)                  \
	X(same_code_same_output) X(runtime_guard_refuses_without_validator)                        \
	X(malformed_frames_counted_and_ignored) X(job_cannot_exec_fork_or_open_socket)             \
	X(job_is_uid_1000_pid_1_without_capability) X(concurrent_jobs_cannot_see_each_other)       \
	X(slot_never_runs_second_job) X(pool_survives_slot_crashes) X(pool_restarts_killed_zygote) \
	X(idle_slot_shares_zygote_memory) X(exec_checks_then_runs_one_job)                         \
	X(batch_results_one_per_line_in_order) X(stop_leaves_nothing)                              \
	X(forged_exit_announcement_only_ends_job) X(prefault_invisible_to_job)                     \
	X(doctor_fails_unless_every_check_passes) X(recycled_cgroup_shows_own_figures)             \
	X(recycled_cgroup_shows_own_figures_v2) X(recycled_cgroup_shows_own_figures_v2_body)       \
	X(killed_batch_swept_by_next_run) X(next_job_finds_nothing_written)                        \
	X(concurrent_job_finds_nothing_written) X(writes_freed_after_job)                          \
	X(forged_control_messages_ignored) X(forged_report_hides_nothing)                          \
	X(forged_error_frames_never_replace_verdict) X(malformed_frames_never_disturb_run)         \
	X(forged_listener_fd_closed) X(hook_refuses_capabilities) X(hook_refuses_built_code)       \
	X(hook_refuses_frame_access) X(hook_refuses_unallowed_imports) X(hook_lets_library_idioms_run) \
	X(job_proc_host_entries_hidden) X(checked_run_refuses_before_the_sandbox)               \
	X(batch_job_keys_enforced) X(backtest_bad_input_exits_2_naming_it) \
	OPS_TESTS(X) BACKTEST_TESTS(X) ENV_TESTS(X) ENV_ATTACK_TESTS(X)

/* tests/pyrt/test_ops.c */
#define OPS_TESTS(X)                                                                               \
	X(ps_lists_live_run_field_by_field) X(kill_ends_run_with_sandbox_error_killed)             \
	X(killed_run_never_listed_live_and_cleaned_up) X(next_start_sweeps_killed_run)             \
	X(doctor_reports_stale_entry)                                                              \
	X(cleanup_never_touches_live_run) X(killed_idle_pool_cleaned_up)                           \
	X(killed_batch_job_cleaned_up)                                                             \
	X(kill_pool_ends_its_owner)                                                                \
	X(interrupted_exec_and_backtest_stop_their_jobs_and_leave_nothing)                         \
	X(cleanup_removes_only_stale_temp_files) X(ps_kill_cleanup_usage_errors_exit_2)           \
	X(ps_lists_pool_slots_kill_slot_ends_its_job)

/* tests/pyrt/test_backtest.c */
#define BACKTEST_TESTS(X)                                                                          \
	X(bt_numpy_and_pandas_routes_never_see_a_later_bar)                                        \
	X(bt_process_memory_routes_never_see_a_later_bar)                                          \
	X(bt_early_post_orders_never_fill_on_next_close)                                           \
	X(bt_forged_header_words_reveal_no_later_bar)                                              \
	X(bt_forged_header_layout_never_breaks_host)                                               \
	X(bt_vectorised_lookahead_reported)                                                        \
	X(bt_forged_orders_refused)                                                                \
	X(bt_forged_answers_ignored)                                                               \
	X(bt_broken_exchange_ends_in_prompt_strategy_error)                                        \
	X(bt_limits_and_faults_end_in_their_verdict_without_metrics)                               \
	X(bt_process_refusing_to_end_ends_run_before_time_limit)                                   \
	X(bt_cancel_kills_running_backtest_and_skips_unstarted)                                    \
	X(bt_sweep_failing_combination_fails_alone)                                                \
	X(bt_module_aliases_match)                                                                 \
	X(bt_base_strategy_every_import_gives_same_backtest)                                       \
	X(bt_sweep_slots_no_channel)                                                               \
	X(bt_racing_answer_rewrites_never_break_host)                                              \
	X(bt_early_post_via_numpy_orders_never_fill)                                               \
	X(bt_cli_timeout_exits_1_grid_failure_stays_in_its_run)

/* tests/pyrt/test_env.c */
#define ENV_TESTS(X)                                                                               \
	X(env_module_allowed_only_where_it_is) X(env_scientific_stack_runs_in_its_environment)     \
	X(env_check_proves_hook_and_catches_a_changed_tree) X(env_rm_refused_while_open)           \
	X(env_bad_input_named) X(env_image_runs_on_its_own_tree)                       \
	X(env_killed_import_cleaned_live_one_kept)

/* tests/pyrt/test_env_attacks.c */
#define ENV_ATTACK_TESTS(X)                                                                        \
	X(envatk_etc_symlink_out_of_tree_refused_nothing_stored)                                   \
	X(envatk_usr_or_python_link_to_host_refused) X(envatk_image_links_resolve_inside_the_sandbox) \
	X(envatk_image_job_refusals_same_as_host) X(envatk_rm_refused_while_exec_runs)             \
	X(envatk_killed_import_leaves_only_its_tmp) X(envatk_concurrent_add_same_name_one_wins)     \
	X(envatk_venv_site_packages_link_out_refused)                                              \
	X(envatk_open_racing_rm_and_re_add_holds_what_it_loaded)                                   \
	X(envatk_venv_swapped_after_add_refused_at_open)

#define DECLARE(name) void p_##name(void);
PYRT_TESTS(DECLARE)
#undef DECLARE

#endif
