/* The security suite's test functions (one file per area). */
#ifndef STRATBOX_TEST_SECURITY_TESTS_H
#define STRATBOX_TEST_SECURITY_TESTS_H

#define SECURITY_TESTS(X)                                                                          \
	X(every_namespace_is_new) X(command_is_uid_1000_with_no_capability)                        \
	X(environment_is_built_from_scratch) X(host_processes_invisible_and_unreachable)           \
	X(kill_minus_one_spares_host_processes) X(no_network_interface_is_up)                      \
	X(tcp_to_host_loopback_unreachable) X(udp_to_host_loopback_unreachable)                    \
	X(tcp6_to_host_loopback_unreachable) X(host_abstract_socket_unreachable)                   \
	X(usr_is_read_only) X(root_etc_dev_and_proc_sys_refuse_writes)                             \
	X(tmp_and_shm_capped_at_tmp_size) X(host_secrets_absent)                                   \
	X(init_cmdline_and_environ_unreadable) X(inherited_fd_closed) X(setuid_and_mknod_refused)  \
	X(user_binds_read_only_unless_bind) X(fork_bomb_ends_in_pids_limit)                        \
	X(thread_bomb_ends_in_pids_limit) X(memory_bomb_ends_in_memory_limit)                      \
	X(cpu_spin_stopped_at_cpu_time) X(cpu_quota_throttles) X(sleeper_stopped_at_wall_time)     \
	X(stdout_flood_capped_at_output_limit) X(stderr_flood_capped_at_output_limit)              \
	X(output_limit_is_exact) X(binary_output_yields_valid_json)                                \
	X(forbidden_syscalls_are_named_violations) X(allowed_syscalls_still_work)                  \
	X(exit_codes_follow_docker_run) X(passthrough_output_capped) X(daemon_dies_with_run)       \
	X(sandbox_dies_with_killed_supervisor) X(terminated_supervisor_stops_cleanly)              \
	X(no_cgroup_reports_unenforced) X(no_cgroup_fork_bomb_contained)                           \
	X(no_cgroup_memory_contained) X(cgroup_v2_backend_accounts_and_cleans_up)                  \
	X(verdict_has_every_documented_field) X(stale_cgroup_removed_by_next_run)                  \
	X(threaded_caller_never_hangs) X(bind_dst_planted_symlink_refused)                         \
	X(bind_dst_symlink_at_any_component_refused) X(bind_src_planted_symlink_refused)           \
	X(nested_binds_land_where_asked) X(bind_swap_race_never_reaches_host)                      \
	X(proc_host_entries_hidden) X(netlink_opens_route_only) X(hugetlb_mapping_fails_enomem)    \
	X(copies_hide_host_paths) X(copy_refuses_symlinks_and_special_files)                          \
	X(exec_job_sees_no_install_path)                                                          \
	X(stalled_reader_does_not_stall_limits) X(gone_reader_does_not_stall_run)                  \
	X(no_or_unknown_command_exits_2) X(run_usage_error_exits_125) X(exec_usage_error_exits_2)  \
	X(check_usage_error_exits_2) X(doctor_usage_error_exits_2)                                 \
	X(help_exits_0_with_usage_on_stdout)

#define DECLARE(name) void t_##name(void);
SECURITY_TESTS(DECLARE)
#undef DECLARE

#endif
