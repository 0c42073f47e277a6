/* The security suite's test functions (one file per area). */
#ifndef STRATBOX_TEST_SECURITY_TESTS_H
#define STRATBOX_TEST_SECURITY_TESTS_H

#define SECURITY_TESTS(X)                                                                          \
	X(namespaces) X(identity) X(environment) X(pid_namespace) X(kill_all)                      \
	X(no_network_interfaces) X(tcp_to_host_loopback) X(udp_to_host_loopback)                   \
	X(tcp6_to_host_loopback) X(abstract_unix_socket) X(write_usr) X(write_root_and_etc)        \
	X(fill_tmp) X(host_secrets) X(proc1_secrets) X(inherited_fd) X(no_privilege_regain)        \
	X(user_binds) X(fork_bomb) X(thread_bomb) X(memory_bomb) X(cpu_spin) X(cpu_quota)          \
	X(wall_timeout) X(output_flood_stdout) X(output_flood_stderr) X(output_boundary)           \
	X(output_binary) X(forbidden_syscalls) X(allowed_syscalls) X(exit_codes) X(passthrough)    \
	X(daemon_does_not_outlive) X(supervisor_killed) X(supervisor_terminated)                   \
	X(no_cgroup_reports_unenforced) X(no_cgroup_fork_bomb_contained) X(no_cgroup_memory_contained) X(cgroup_v2_backend)      \
	X(verdict_shape) X(stale_cgroup_cleanup) X(threaded_caller)                                \
	X(bind_dst_planted_symlink) X(bind_dst_symlink_every_component)                           \
	X(bind_src_planted_symlink) X(bind_nested_targets) X(bind_swap_race)                      \
	X(proc_hidden) X(netlink_families) X(hugetlb_pool) X(copies_hide_host_paths)              \
	X(copy_refuses_links) X(exec_mountinfo) X(stalled_reader) X(reader_gone)

#define DECLARE(name) void t_##name(void);
SECURITY_TESTS(DECLARE)
#undef DECLARE

#endif
