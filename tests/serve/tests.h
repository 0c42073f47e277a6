/* The service suite's tests (the store alone, then the server over HTTP). */
#ifndef STRATBOX_TEST_SERVE_TESTS_H
#define STRATBOX_TEST_SERVE_TESTS_H

#define SERVE_TESTS(X)                                                                             \
	X(store_requeues_running_jobs_on_open) X(store_result_written_once)                        \
	X(store_idempotency_key_is_per_tenant) X(store_lists_newest_first_by_cursor)               \
	X(store_tenant_quota_counts_unended_jobs) X(store_requeue_only_running)                   \
	X(store_expire_deletes_only_ended)                                                         \
	X(execution_waited_gives_exec_result) X(backtest_waited_gives_cli_metrics)                 \
	X(validate_answers_at_once) X(no_or_wrong_token_gives_401)                                 \
	X(other_tenants_job_is_404) X(idempotent_retry_gives_same_job)                             \
	X(bad_requests_give_400_413_415_422) X(queued_job_cancelled_never_runs)                    \
	X(list_filters_by_status_and_pages) X(non_loopback_without_tokens_refused)                 \
	X(full_queue_gives_429_with_retry_after) X(sigterm_lets_running_job_finish)             \
	X(killed_server_restarted_runs_every_job_once)                                             \
	X(backtest_report_served_and_kept) X(running_job_deleted_is_killed)                       \
	X(tenant_quota_gives_429) X(drain_timeout_requeues_running_job)                           \
	X(retention_deletes_ended_jobs_and_reports) X(metrics_count_the_service)                   \
	X(tls_serves_https_only) X(hostile_jobs_never_take_a_worker_down)                            \
	X(slow_clients_cut_off_others_served) X(full_disk_gives_503_not_corruption)               \
	X(many_clients_none_lost_or_duplicated) X(sweep_over_http_matches_cli)                     \
	X(env_field_picks_allow_list_and_pool) REDIS_TESTS(X) ENV_ATTACK_TESTS(X)

/* serve --queue with stratbox workers around a real redis-server: test_redis.c */
#define REDIS_TESTS(X)                                                                             \
	X(redis_bad_queue_url_is_a_usage_error) X(redis_jobs_complete_on_workers_once_each)        \
	X(redis_killed_worker_job_completes_on_other_once)                                         \
	X(redis_killed_server_restarted_completes_accepted_jobs)                                   \
	X(redis_restarted_empty_gets_unfinished_jobs_again)                                        \
	X(redis_restarted_with_appendonly_keeps_jobs) X(redis_cancelled_jobs_never_run_or_are_stopped) \
	X(redis_tls_jobs_complete_untrusted_refused)

/* tests/serve/test_env_attacks.c */
#define ENV_ATTACK_TESTS(X)                                                                        \
	X(envatk_env_field_hostile_values_refused_nothing_opened)                                  \
	X(envatk_env_rm_refused_while_jobs_queued) X(envatk_pools_bounded_by_the_store)

#define DECLARE(name) void v_##name(void);
SERVE_TESTS(DECLARE)
#undef DECLARE

#endif
