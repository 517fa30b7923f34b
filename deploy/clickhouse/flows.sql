-- procflow flow events in ClickHouse: one row per event (start, message and
-- end; a flow's totals are on its `end` row, a message's counts are so far). procflow writes here with
--   procflow trace --output 'clickhouse+http://HOST:8123/?database=procflow&table=flows'
-- Column names are the event's JSON keys (docs/events.md); the sink turns
-- each RFC 3339 time into a DateTime (the second) plus `<name>_us` (the
-- microseconds), and the server skips keys the table lacks
-- (input_format_skip_unknown_fields=1). A field the event omits (unknown)
-- gets the column's default: '' or 0.
--
-- Types are ones both ClickHouse 18.16 (Debian 12's package) and current
-- servers accept: no DateTime64, no LowCardinality, no IPv6 type. On a
-- current server, String columns with few values (action, exe, user, ...)
-- may be declared LowCardinality(String) for smaller, faster scans.
--
-- The sorting key serves the common questions: which process on which host
-- talks to which service (hostname, exe, dest_port), over a time range
-- (partitions by day; drop old days with ALTER TABLE ... DROP PARTITION,
-- or on a current server add `TTL timestamp + INTERVAL 90 DAY`).

CREATE DATABASE IF NOT EXISTS procflow;

CREATE TABLE IF NOT EXISTS procflow.flows
(
    timestamp          DateTime('UTC'),
    timestamp_us       UInt32,
    object             String,
    action             String,
    hostname           String,
    fqdn               String,

    transport_protocol String,
    src_ip             String,
    src_port           UInt16,
    dest_ip            String,
    dest_port          UInt16,
    src_fqdn           String,
    src_hostname       String,
    src_fqdn_source    String,
    dest_fqdn          String,
    dest_hostname      String,
    dest_fqdn_source   String,
    -- the CNAME chain's end when the name came through one, and the other
    -- name an address had when sources disagreed (docs/events.md)
    src_canonical      String,
    dest_canonical     String,
    src_fqdn_conflict  String,
    dest_fqdn_conflict String,
    network_direction  String,
    community_id       String,
    initiated          UInt8,
    snapshot           UInt8,
    -- 1 on the `start` of a long flow's next period (report_interval): not a
    -- new connection; count connections with `action = 'start' AND continued = 0`.
    continued          UInt8,
    interface          String,
    netns              UInt64,

    pid                UInt32,
    ppid               UInt32,
    uid                UInt32,
    user               String,
    exe                String,
    image_path         String,
    comm               String,
    cgroup_id          UInt64,
    container_id       String,
    container_runtime  String,
    container_name     String,
    container_pid      UInt32,
    pod_uid            String,
    pod_name           String,
    pod_namespace      String,
    image_deleted      UInt8,
    image_memfd        UInt8,
    image_truncated    UInt8,

    start_time         DateTime('UTC'),
    start_time_us      UInt32,
    end_time           DateTime('UTC'),
    end_time_us        UInt32,
    in_bytes           UInt64,
    out_bytes          UInt64,
    packet_count       UInt64,
    tcp_flags          String,
    end_reason         String,

    -- message events (docs/events.md#messages); application_protocol also on ends.
    -- A table made before them: ALTER TABLE procflow.flows ADD COLUMN ... for each.
    application_protocol String,
    proto_info         String,
    content            String,
    message_direction  String,
    content_source     String,
    content_truncated  UInt8
)
ENGINE = MergeTree
PARTITION BY toYYYYMMDD(timestamp)
ORDER BY (hostname, exe, dest_port, timestamp);

-- A fleet: every sensor writes to a cluster. Create the table above on each
-- shard under another name (or, replicated, with ReplicatedMergeTree), and a
-- Distributed table over them that procflow inserts into and queries read:
-- an insert goes to one shard (here by sensor host, so one host's flows stay
-- together), a SELECT reads all shards. `fleet` is a cluster from the
-- servers' <remote_servers> configuration.
--
-- CREATE TABLE procflow.flows_local ON CLUSTER fleet AS procflow.flows
--     ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/procflow/flows_local', '{replica}')
--     PARTITION BY toYYYYMMDD(timestamp)
--     ORDER BY (hostname, exe, dest_port, timestamp);
--
-- CREATE TABLE procflow.flows_all ON CLUSTER fleet AS procflow.flows_local
--     ENGINE = Distributed(fleet, procflow, flows_local, cityHash64(hostname));
--
-- and point every sensor at any server of the cluster (or a load balancer):
--   --output 'clickhouse+http://clickhouse.example.org:8123/?database=procflow&table=flows_all&user=procflow&password=...'
-- With ReplicatedMergeTree, a batch retried after a timeout is deduplicated
-- by the server (insert_deduplicate, on by default), closing the at-least-once
-- corner the plain MergeTree has (see src/output/clickhouse_sink.h) — for
-- inserts into the local table; through a Distributed table the forwarded
-- blocks are deduplicated as well once they reach the replicas.
