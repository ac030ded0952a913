import GRDB

/// The one place that owns the SQLite schema and its migrations.
///
/// Events are append-only. Strings that repeat (sites, event names, paths, regions, user
/// agents, sources) live once in `strings` and events hold their ids: rows stay small,
/// inserts fast, and the engine loads integers without hashing a single string.
/// The five one-byte dimensions (channel, device, browser, OS, bot signal) are packed into
/// `dims` so a start-up load reads six columns a row, not ten; `events_readable` unpacks them.
/// Since v2 the URL, referrer and props (as canonical JSON) are string ids too: the engine
/// matches plan definitions once per distinct value, not once per event.
enum StoreSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-events") { db in
            try db.execute(sql: """
                CREATE TABLE strings (id INTEGER PRIMARY KEY, value TEXT NOT NULL UNIQUE);
                CREATE TABLE visitors (
                    id INTEGER PRIMARY KEY, site INTEGER NOT NULL, key TEXT NOT NULL, user_id INTEGER,
                    UNIQUE (site, key));
                CREATE TABLE users (id INTEGER PRIMARY KEY, site INTEGER NOT NULL, key TEXT NOT NULL, UNIQUE (site, key));
                CREATE TABLE events (
                    seq INTEGER PRIMARY KEY,
                    site INTEGER NOT NULL,
                    event_id TEXT,
                    name INTEGER NOT NULL,
                    visitor INTEGER NOT NULL,
                    user_id INTEGER,
                    ts INTEGER NOT NULL,
                    received INTEGER NOT NULL,
                    url TEXT,
                    referrer TEXT,
                    path INTEGER NOT NULL,
                    props TEXT,
                    revenue REAL,
                    currency TEXT,
                    user_agent INTEGER,
                    timezone TEXT,
                    region INTEGER NOT NULL,
                    source INTEGER NOT NULL,
                    medium INTEGER NOT NULL,
                    campaign INTEGER NOT NULL,
                    dims INTEGER NOT NULL,
                    click_ids TEXT);
                CREATE UNIQUE INDEX events_site_event_id ON events (site, event_id) WHERE event_id IS NOT NULL;
                CREATE TABLE metadata (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                CREATE VIEW events_readable AS
                    SELECT e.seq, s.value AS site, e.event_id, n.value AS event, v.key AS visitor, u.key AS user,
                           e.ts, e.url, e.referrer, p.value AS path, e.props, e.revenue, e.currency, r.value AS region,
                           e.dims & 255 AS channel, (e.dims >> 8) & 255 AS device, (e.dims >> 16) & 255 AS browser,
                           (e.dims >> 24) & 255 AS os, (e.dims >> 32) & 255 AS bot, e.click_ids
                    FROM events e JOIN strings s ON s.id = e.site JOIN strings n ON n.id = e.name
                    JOIN visitors v ON v.id = e.visitor LEFT JOIN users u ON u.id = e.user_id
                    JOIN strings p ON p.id = e.path JOIN strings r ON r.id = e.region;
                """)
        }
        migrator.registerMigration("v2-interned-details") { db in
            try db.execute(sql: """
                INSERT OR IGNORE INTO strings (value)
                    SELECT url FROM events WHERE url IS NOT NULL
                    UNION SELECT referrer FROM events WHERE referrer IS NOT NULL
                    UNION SELECT props FROM events WHERE props IS NOT NULL;
                CREATE TABLE events_v2 (
                    seq INTEGER PRIMARY KEY,
                    site INTEGER NOT NULL,
                    event_id TEXT,
                    name INTEGER NOT NULL,
                    visitor INTEGER NOT NULL,
                    user_id INTEGER,
                    ts INTEGER NOT NULL,
                    received INTEGER NOT NULL,
                    url INTEGER,
                    referrer INTEGER,
                    path INTEGER NOT NULL,
                    props INTEGER,
                    revenue REAL,
                    currency TEXT,
                    user_agent INTEGER,
                    timezone TEXT,
                    region INTEGER NOT NULL,
                    source INTEGER NOT NULL,
                    medium INTEGER NOT NULL,
                    campaign INTEGER NOT NULL,
                    dims INTEGER NOT NULL,
                    click_ids TEXT);
                INSERT INTO events_v2
                    SELECT e.seq, e.site, e.event_id, e.name, e.visitor, e.user_id, e.ts, e.received,
                           (SELECT id FROM strings WHERE value = e.url), (SELECT id FROM strings WHERE value = e.referrer),
                           e.path, (SELECT id FROM strings WHERE value = e.props), e.revenue, e.currency, e.user_agent,
                           e.timezone, e.region, e.source, e.medium, e.campaign, e.dims, e.click_ids
                    FROM events e ORDER BY e.seq;
                DROP VIEW events_readable;
                DROP TABLE events;
                ALTER TABLE events_v2 RENAME TO events;
                CREATE UNIQUE INDEX events_site_event_id ON events (site, event_id) WHERE event_id IS NOT NULL;
                CREATE VIEW events_readable AS
                    SELECT e.seq, s.value AS site, e.event_id, n.value AS event, v.key AS visitor, u.key AS user,
                           e.ts, url.value AS url, ref.value AS referrer, p.value AS path, props.value AS props, e.revenue,
                           e.currency, r.value AS region,
                           e.dims & 255 AS channel, (e.dims >> 8) & 255 AS device, (e.dims >> 16) & 255 AS browser,
                           (e.dims >> 24) & 255 AS os, (e.dims >> 32) & 255 AS bot, e.click_ids
                    FROM events e JOIN strings s ON s.id = e.site JOIN strings n ON n.id = e.name
                    JOIN visitors v ON v.id = e.visitor LEFT JOIN users u ON u.id = e.user_id
                    JOIN strings p ON p.id = e.path JOIN strings r ON r.id = e.region
                    LEFT JOIN strings url ON url.id = e.url LEFT JOIN strings ref ON ref.id = e.referrer
                    LEFT JOIN strings props ON props.id = e.props;
                """)
        }
        // v3: audience membership (to know who entered since the last check) and the webhook
        // delivery log; a partial index finds a person's ad click ids without a table scan.
        migrator.registerMigration("v3-audiences") { db in
            try db.execute(sql: """
                CREATE INDEX events_click_ids ON events (visitor) WHERE click_ids IS NOT NULL;
                CREATE TABLE audience_members (
                    site TEXT NOT NULL, audience TEXT NOT NULL, person TEXT NOT NULL, entered INTEGER NOT NULL,
                    PRIMARY KEY (site, audience, person)) WITHOUT ROWID;
                CREATE TABLE webhook_deliveries (
                    id TEXT PRIMARY KEY, site TEXT NOT NULL, audience TEXT NOT NULL, person TEXT NOT NULL,
                    url TEXT NOT NULL, body TEXT NOT NULL, created INTEGER NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0, next_attempt INTEGER NOT NULL,
                    status TEXT NOT NULL DEFAULT 'pending', last_status INTEGER, last_error TEXT, delivered INTEGER);
                CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt) WHERE status = 'pending';
                """)
        }
        migrator.registerMigration("v4-ad-spend") { db in
            try db.execute(sql: """
                CREATE TABLE ad_spend (
                    site TEXT NOT NULL, day TEXT NOT NULL, channel TEXT NOT NULL, campaign TEXT NOT NULL,
                    cost REAL NOT NULL, currency TEXT NOT NULL,
                    PRIMARY KEY (site, day, channel, campaign)) WITHOUT ROWID;
                """)
        }
        // v5: tracking health. Ingest outcomes per site and UTC day, annotations, and the
        // anomalies alerted on (so an open anomaly alerts once, across restarts).
        migrator.registerMigration("v5-health") { db in
            try db.execute(sql: """
                CREATE TABLE ingest_tallies (
                    site TEXT NOT NULL, day TEXT NOT NULL, code TEXT NOT NULL, count INTEGER NOT NULL,
                    PRIMARY KEY (site, day, code)) WITHOUT ROWID;
                CREATE TABLE annotations (
                    id INTEGER PRIMARY KEY AUTOINCREMENT, site TEXT NOT NULL, at INTEGER NOT NULL,
                    kind TEXT NOT NULL, text TEXT NOT NULL, created INTEGER NOT NULL);
                CREATE INDEX annotations_site_at ON annotations (site, at);
                CREATE TABLE health_alerts (
                    site TEXT NOT NULL, key TEXT NOT NULL, opened INTEGER NOT NULL, closed INTEGER,
                    summary TEXT NOT NULL, PRIMARY KEY (site, key)) WITHOUT ROWID;
                """)
        }
        // v6: the day's cookieless salt (only today's is ever kept) and registered sites.
        migrator.registerMigration("v6-sites") { db in
            try db.execute(sql: """
                CREATE TABLE daily_salt (day TEXT PRIMARY KEY, salt BLOB NOT NULL) WITHOUT ROWID;
                CREATE TABLE sites (
                    name TEXT PRIMARY KEY, timezone TEXT, origins TEXT NOT NULL DEFAULT '[]', write_key TEXT,
                    segment_write_key TEXT, ga4_measurement_id TEXT, ga4_api_secret TEXT,
                    created INTEGER NOT NULL) WITHOUT ROWID;
                """)
        }
        // v7: the erasure and retention log: what was deleted and when, never who (a hash).
        migrator.registerMigration("v7-erasures") { db in
            try db.execute(sql: """
                CREATE TABLE erasures (
                    id INTEGER PRIMARY KEY AUTOINCREMENT, site TEXT, kind TEXT NOT NULL, person_sha256 TEXT,
                    visitors INTEGER NOT NULL, users INTEGER NOT NULL, events INTEGER NOT NULL, at INTEGER NOT NULL);
                """)
        }
        return migrator
    }
}

/// The packed `dims` column.
enum PackedDimensions {
    static func pack(channel: UInt8, device: UInt8, browser: UInt8, os: UInt8, bot: UInt8) -> Int64 {
        Int64(channel) | Int64(device) << 8 | Int64(browser) << 16 | Int64(os) << 24 | Int64(bot) << 32
    }

    @inline(__always) static func unpack(_ dims: Int64) -> (channel: UInt8, device: UInt8, browser: UInt8, os: UInt8, bot: UInt8) {
        (UInt8(truncatingIfNeeded: dims), UInt8(truncatingIfNeeded: dims >> 8), UInt8(truncatingIfNeeded: dims >> 16),
         UInt8(truncatingIfNeeded: dims >> 24), UInt8(truncatingIfNeeded: dims >> 32))
    }
}
