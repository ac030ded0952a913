CREATE DATABASE IF NOT EXISTS stepwise ON CLUSTER main;

CREATE TABLE IF NOT EXISTS stepwise.events_local ON CLUSTER main (
    site String,
    key String,
    seq UInt64,
    id String,
    name String,
    visitor String,
    user String,
    timestamp Int64,
    received Int64,
    url String,
    referrer String,
    path String,
    props String,
    prop_keys Array(String),
    prop_values Array(String),
    prop_kinds Array(UInt8),
    prop_numbers Array(Float64),
    revenue Float64,
    currency String,
    user_agent String,
    timezone String,
    region String,
    source String,
    medium String,
    campaign String,
    channel UInt8,
    device UInt8,
    browser UInt8,
    os UInt8,
    bot UInt8,
    click_ids String
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/stepwise/events_local', '{replica}')
PARTITION BY toYYYYMM(toDateTime(intDiv(timestamp, 1000)))
ORDER BY (site, visitor, timestamp);

CREATE TABLE IF NOT EXISTS stepwise.events ON CLUSTER main AS stepwise.events_local
ENGINE = Distributed(main, stepwise, events_local, cityHash64(site, visitor));

CREATE TABLE IF NOT EXISTS stepwise.identities_local ON CLUSTER main (
    site String,
    visitor String,
    user String,
    seq UInt64
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/stepwise/identities_local', '{replica}')
ORDER BY (site, visitor);

CREATE TABLE IF NOT EXISTS stepwise.identities ON CLUSTER main AS stepwise.identities_local
ENGINE = Distributed(main, stepwise, identities_local, cityHash64(site, visitor));

CREATE TABLE IF NOT EXISTS stepwise.salts ON CLUSTER main (
    day String,
    salt String,
    seq UInt64
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/all/stepwise/salts', '{replica}')
ORDER BY day;

CREATE TABLE IF NOT EXISTS stepwise.plans ON CLUSTER main (
    site String,
    yaml String,
    seq UInt64
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/all/stepwise/plans', '{replica}')
ORDER BY (site, seq);

CREATE TABLE IF NOT EXISTS stepwise.sites ON CLUSTER main (
    name String,
    settings String,
    removed UInt8,
    seq UInt64
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/all/stepwise/sites', '{replica}')
ORDER BY (name, seq);

CREATE TABLE IF NOT EXISTS stepwise.monitors ON CLUSTER main (
    node String,
    started Int64,
    seen Int64
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/all/stepwise/monitors', '{replica}', seen)
ORDER BY (node, started);

CREATE TABLE IF NOT EXISTS stepwise.annotations ON CLUSTER main (
    site String,
    id Int64,
    at Int64,
    kind String,
    text String
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/all/stepwise/annotations', '{replica}')
ORDER BY (site, at, id);

CREATE TABLE IF NOT EXISTS stepwise.ingest_tallies ON CLUSTER main (
    site String,
    day String,
    code String,
    count UInt64
) ENGINE = ReplicatedSummingMergeTree('/clickhouse/tables/all/stepwise/ingest_tallies', '{replica}', count)
ORDER BY (site, day, code);

CREATE TABLE IF NOT EXISTS stepwise.schema_versions ON CLUSTER main (
    version UInt32,
    applied DateTime
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/all/stepwise/schema_versions', '{replica}')
ORDER BY version;

INSERT INTO stepwise.schema_versions (version, applied) VALUES (4, now());
