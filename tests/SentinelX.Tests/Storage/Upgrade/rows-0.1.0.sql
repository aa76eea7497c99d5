-- Rows in every table of a SentinelX 0.1.0 database: applied by make-0.1.0.sh to the SQLite
-- fixture, and by the PostgreSQL upgrade test after sentinelx-0.1.0-postgres.sql. Plain SQL that
-- both engines accept (TRUE/FALSE, no ids for generated keys).
INSERT INTO nodes (id, name, machine_id, secret_hash, created_at, last_seen_at, revoked, agent_version, os, arch, system_info_json, remote_address, last_seq, tags, group_name, region, notes, traffic_reset_day, capabilities)
VALUES ('n-web1', 'web-1', 'machine-web1', 'hash-web1', 1795305600000, 1795392000000, FALSE, '0.1.0', 'Debian 12', 'x64', '{"hostname":"web-1"}', '203.0.113.7', 42, 'prod,hk', 'edge', 'HK', 'rack 3 — "north" side', 15, 'exec,files'),
       ('n-db1', 'db-1', 'machine-db1', 'hash-db1', 1795305601000, 0, TRUE, '', '', '', NULL, NULL, 0, '', '', '', '', 1, '');
INSERT INTO api_tokens (id, name, role, token_hash, prefix, created_at, expires_at, last_used_at, revoked_at)
VALUES ('t-ci', 'ci', 'operator', 'tokenhash-ci', 'sx_ab12', 1795305602000, 1826841600000, 1795305700000, NULL),
       ('t-old', 'old', 'viewer', 'tokenhash-old', 'sx_cd34', 1795305603000, NULL, NULL, 1795305800000);
INSERT INTO samples (node_id, seq, ts, cpu_percent, load1, load5, load15, mem_used_bytes, mem_total_bytes, swap_used_bytes, swap_total_bytes, disk_used_bytes, disk_total_bytes, disk_read_bps, disk_write_bps, net_rx_bps, net_tx_bps, net_rx_total, net_tx_total, tcp_connections, udp_connections, processes, uptime_seconds)
VALUES ('n-web1', 41, 1795391999000, 12.5, 0.25, 0.5, 0.75, 1000000, 8000000000, 0, 1000000000, 50000000000, 100000000000, 100.5, 200.25, 3000.125, 1500.0625, 123456789012, 98765432109, 17, 3, 121, 86400),
       ('n-web1', 42, 1795392000000, 99.75, 1.5, 1.25, 1.0, 2000000, 8000000000, 4096, 1000000000, 50000000001, 100000000000, 0, 0, 0, 0, 123456789999, 98765432999, 18, 2, 122, 86401);
INSERT INTO rollups_1m (node_id, bucket, sample_count, cpu_percent_avg, cpu_percent_max, load1_avg, load1_max, load5_avg, load5_max, load15_avg, load15_max, mem_used_bytes_avg, mem_used_bytes_max, mem_total_bytes_last, swap_used_bytes_avg, swap_used_bytes_max, swap_total_bytes_last, disk_used_bytes_avg, disk_used_bytes_max, disk_total_bytes_last, disk_read_bps_avg, disk_read_bps_max, disk_write_bps_avg, disk_write_bps_max, net_rx_bps_avg, net_rx_bps_max, net_tx_bps_avg, net_tx_bps_max, net_rx_total_last, net_tx_total_last, tcp_connections_avg, tcp_connections_max, udp_connections_avg, udp_connections_max, processes_avg, processes_max, uptime_seconds_last)
VALUES ('n-web1', 1795391940000, 60, 11.5, 99.75, 0.2, 1.5, 0.4, 1.25, 0.6, 1.0, 1500000.5, 2000000, 8000000000, 2048.5, 4096, 1000000000, 50000000000.5, 50000000001, 100000000000, 50.25, 100.5, 100.125, 200.25, 1500.5, 3000.125, 750.25, 1500.0625, 123456789999, 98765432999, 17.5, 18, 2.5, 3, 121.5, 122, 86401);
INSERT INTO rollups_1h (node_id, bucket, sample_count, cpu_percent_avg, cpu_percent_max, load1_avg, load1_max, load5_avg, load5_max, load15_avg, load15_max, mem_used_bytes_avg, mem_used_bytes_max, mem_total_bytes_last, swap_used_bytes_avg, swap_used_bytes_max, swap_total_bytes_last, disk_used_bytes_avg, disk_used_bytes_max, disk_total_bytes_last, disk_read_bps_avg, disk_read_bps_max, disk_write_bps_avg, disk_write_bps_max, net_rx_bps_avg, net_rx_bps_max, net_tx_bps_avg, net_tx_bps_max, net_rx_total_last, net_tx_total_last, tcp_connections_avg, tcp_connections_max, udp_connections_avg, udp_connections_max, processes_avg, processes_max, uptime_seconds_last)
VALUES ('n-web1', 1795388400000, 3600, 10.25, 99.75, 0.3, 1.5, 0.45, 1.25, 0.65, 1.0, 1400000.25, 2000000, 8000000000, 1024.25, 4096, 1000000000, 49999999999.5, 50000000001, 100000000000, 40.5, 100.5, 90.25, 200.25, 1400.75, 3000.125, 700.375, 1500.0625, 123456789999, 98765432999, 16.5, 18, 2.25, 3, 120.5, 122, 86401);
UPDATE rollup_state SET watermark_ms = 1795391940000 WHERE name = '1m';
UPDATE rollup_state SET watermark_ms = 1795388400000 WHERE name = '1h';
INSERT INTO rollup_dirty (node_id, hour_ms) VALUES ('n-web1', 1795384800000);
-- Two removed-Node tombstones, kept in settings under "nodes.removed." by 0.1.0, next to ordinary settings.
INSERT INTO settings (key, value, updated_at)
VALUES ('setup.completed', '1', 1795305600000),
       ('retention.rawHours', '72', 1795305604000),
       ('nodes.removed.n-gone1', 'old-box', 1795305605000),
       ('nodes.removed.n-gone2', 'lab "2"', 1795305606000);
INSERT INTO users (id, role, language, theme, dashboard_view, created_at, last_login_at, user_name, normalized_user_name, email, normalized_email, email_confirmed, password_hash, security_stamp, concurrency_stamp, phone_number, phone_number_confirmed, two_factor_enabled, lockout_end, lockout_enabled, access_failed_count)
VALUES ('u-admin', 'admin', 'zh-CN', 'dark', 'cards', 1795305600000, 1795392000000, 'admin', 'ADMIN', 'admin@example.com', 'ADMIN@EXAMPLE.COM', TRUE, 'AQAAAAIAAYagAAAAE-hash', 'STAMP1', 'c0ffee00-0000-0000-0000-000000000001', NULL, FALSE, TRUE, NULL, TRUE, 0),
       ('u-viewer', 'viewer', 'en', 'light', 'table', 1795305700000, NULL, 'viewer', 'VIEWER', NULL, NULL, FALSE, 'AQAAAAIAAYagAAAAE-hash2', 'STAMP2', 'c0ffee00-0000-0000-0000-000000000002', '+852 5555 0000', FALSE, FALSE, NULL, TRUE, 2);
INSERT INTO user_claims (user_id, claim_type, claim_value) VALUES ('u-admin', 'sentinelx:note', 'first admin');
INSERT INTO user_logins (login_provider, provider_key, provider_display_name, user_id) VALUES ('oidc', 'sub-123', 'Company SSO', 'u-admin');
INSERT INTO user_tokens (user_id, login_provider, name, value) VALUES ('u-admin', '[AspNetUserStore]', 'AuthenticatorKey', 'JBSWY3DPEHPK3PXP');
INSERT INTO audit_log (at, actor, actor_kind, address, node_id, action, target, result, detail)
VALUES (1795305600000, 'admin', 'user', '192.0.2.10', NULL, 'setup.complete', '', 'ok', ''),
       (1795305700000, 'ci', 'token', '192.0.2.11', 'n-web1', 'exec.run', 'uptime', 'ok', 'exit 0');
INSERT INTO exec_runs (id, batch_id, node_id, command, run_as, working_directory, timeout_seconds, requested_by, started_at, finished_at, status, exit_code, duration_ms, stdout, stderr, truncated, error)
VALUES ('x-1', 'b-1', 'n-web1', 'uptime', 'root', '/', 30, 'ci', 1795305700000, 1795305700500, 'completed', 0, 500, ' 07:00:00 up 1 day', '', FALSE, ''),
       ('x-2', NULL, 'n-web1', 'sleep 99', 'nobody', '/tmp', 1, 'admin', 1795305800000, NULL, 'running', NULL, 0, '', '', TRUE, '');
INSERT INTO forward_rules (id, name, node_id, protocol, listen_address, listen_port, targets_json, balance, mode, bandwidth_mbps, max_connections, proxy_protocol, udp_idle_seconds, chain_json, quota_bytes, quota_action, quota_throttle_mbps, reset_day, created_at, created_by, updated_at, updated_by, bytes_in, bytes_out, connections_total, reported_bytes_in, reported_bytes_out, reported_connections)
VALUES ('f-1', 'web', 'n-web1', 'tcp', '0.0.0.0', 8443, '[{"host":"10.0.0.5","port":443}]', 'round-robin', 'user', 100.5, 1000, 2, 60, '[]', 1099511627776, 'throttle', 1.5, 3, 1795305600000, 'admin', 1795305900000, 'admin', 123456789, 987654321, 4242, 1234, 5678, 9);
INSERT INTO forward_traffic_1m (rule_id, bucket, bytes_in, bytes_out) VALUES ('f-1', 1795391940000, 1000, 2000);
INSERT INTO forward_traffic_1h (rule_id, bucket, bytes_in, bytes_out) VALUES ('f-1', 1795388400000, 60000, 120000);
INSERT INTO node_join_requests (id, node_id, machine_id, name, hostname, remote_address, agent_version, ticket_hash, created_at, state, decided_at, decided_by)
VALUES ('j-1', 'n-web1', 'machine-web1', 'web-1', 'web-1.example', '203.0.113.7', '0.1.0', 'tickethash', 1795392000000, 'pending', NULL, NULL),
       ('j-2', 'n-db1', 'machine-db1', 'db-1', 'db-1.example', NULL, '0.1.0', 'tickethash2', 1795391000000, 'approved', 1795391500000, 'admin');
