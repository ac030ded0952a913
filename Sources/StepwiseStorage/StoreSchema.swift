import GRDB

/// The one place that owns the SQLite schema and its migrations.
///
/// Events are append-only. Strings that repeat (sites, event names, paths, regions, user
/// agents, sources) live once in `strings` and events hold their ids: rows stay small,
/// inserts fast, and the engine loads integers without hashing a single string.
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
                    channel INTEGER NOT NULL,
                    source INTEGER NOT NULL,
                    medium INTEGER NOT NULL,
                    campaign INTEGER NOT NULL,
                    device INTEGER NOT NULL,
                    browser INTEGER NOT NULL,
                    os INTEGER NOT NULL,
                    click_ids TEXT,
                    bot INTEGER NOT NULL);
                CREATE UNIQUE INDEX events_site_event_id ON events (site, event_id) WHERE event_id IS NOT NULL;
                CREATE TABLE metadata (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                """)
        }
        return migrator
    }
}
