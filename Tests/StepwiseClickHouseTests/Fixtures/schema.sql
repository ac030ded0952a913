CREATE DATABASE IF NOT EXISTS stepwise;

CREATE TABLE IF NOT EXISTS stepwise.events (
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
) ENGINE = MergeTree
PARTITION BY toYYYYMM(toDateTime(intDiv(timestamp, 1000)))
ORDER BY (site, visitor, timestamp);

CREATE TABLE IF NOT EXISTS stepwise.identities (
    site String,
    visitor String,
    user String,
    seq UInt64
) ENGINE = MergeTree
ORDER BY (site, visitor);

CREATE TABLE IF NOT EXISTS stepwise.salts (
    day String,
    salt String,
    seq UInt64
) ENGINE = MergeTree
ORDER BY day;

CREATE TABLE IF NOT EXISTS stepwise.plans (
    site String,
    yaml String,
    seq UInt64
) ENGINE = MergeTree
ORDER BY (site, seq);

CREATE TABLE IF NOT EXISTS stepwise.sites (
    name String,
    settings String,
    removed UInt8,
    seq UInt64
) ENGINE = MergeTree
ORDER BY (name, seq);

CREATE TABLE IF NOT EXISTS stepwise.monitors (
    node String,
    started Int64,
    seen Int64
) ENGINE = ReplacingMergeTree(seen)
ORDER BY (node, started);

CREATE TABLE IF NOT EXISTS stepwise.annotations (
    site String,
    id Int64,
    at Int64,
    kind String,
    text String
) ENGINE = MergeTree
ORDER BY (site, at, id);

CREATE TABLE IF NOT EXISTS stepwise.ingest_tallies (
    site String,
    day String,
    code String,
    count UInt64
) ENGINE = SummingMergeTree(count)
ORDER BY (site, day, code);

CREATE TABLE IF NOT EXISTS stepwise.schema_versions (
    version UInt32,
    applied DateTime
) ENGINE = MergeTree
ORDER BY version;

INSERT INTO stepwise.schema_versions (version, applied) VALUES (4, now());
