import AutocertStorage
import Logging
import PostgresNIO

/// The tables a ``PostgresStorage`` keeps, as ordered migration steps, and the code that brings a
/// database up to the newest.
///
/// `autocert_schema_version` holds one row per step applied. Migrating takes a transaction-scoped
/// advisory lock first, so instances starting at once migrate one after the other: the first
/// applies the missing steps, the others find them applied. All of it is one transaction: a
/// failure leaves the database as it was.
enum PostgresSchema {
    /// The key of the advisory lock held while migrating (arbitrary; "autocert" in ASCII).
    static let advisoryLockKey: Int64 = 0x6175_746F_6365_7274

    /// The channel that carries the name of every blob inserted, updated or deleted.
    static let changesChannel = "autocert_changes"

    /// The migration steps in order: step N brings the schema to version N. Never edit a step
    /// that has shipped; add one.
    static let steps: [[String]] = [
        // 1: blobs, leased locks with fencing tokens, change notifications
        [
            """
            CREATE TABLE autocert_blobs (
                name text PRIMARY KEY,
                value bytea NOT NULL,
                updated_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            """
            CREATE TABLE autocert_locks (
                name text PRIMARY KEY,
                token bigint NOT NULL,
                expires_at timestamptz NOT NULL,
                holder text NOT NULL
            )
            """,
            "CREATE SEQUENCE autocert_lock_tokens AS bigint",
            """
            CREATE FUNCTION autocert_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_notify('\(changesChannel)', CASE WHEN TG_OP = 'DELETE' THEN OLD.name ELSE NEW.name END);
                RETURN NULL;
            END
            $$
            """,
            """
            CREATE TRIGGER autocert_blobs_changed AFTER INSERT OR UPDATE OR DELETE ON autocert_blobs
            FOR EACH ROW EXECUTE FUNCTION autocert_notify_change()
            """,
        ],
    ]

    /// The version the steps bring a database to.
    static var newestVersion: Int { steps.count }

    /// Applies the steps `connection`'s database lacks, in one transaction under the advisory lock.
    ///
    /// - Returns: the versions applied now (empty when the schema was up to date).
    static func migrate(_ connection: PostgresConnection, logger: Logger) async throws -> [Int] {
        try await connection.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(advisoryLockKey))", logger: logger)
            try await connection.query("""
                CREATE TABLE IF NOT EXISTS autocert_schema_version (
                    version integer PRIMARY KEY,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """, logger: logger)
            var current = 0
            for try await version in try await connection.query("SELECT coalesce(max(version), 0) FROM autocert_schema_version", logger: logger).decode(Int.self) {
                current = version
            }
            guard current <= newestVersion else {
                throw SchemaTooNew(found: current)
            }
            var applied: [Int] = []
            for version in (current + 1)..<(newestVersion + 1) {
                for statement in steps[version - 1] {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query("INSERT INTO autocert_schema_version (version) VALUES (\(version))", logger: logger)
                applied.append(version)
            }
            return applied
        }
    }

    /// The database's schema is newer than this code knows: a newer version of the library
    /// migrated it.
    struct SchemaTooNew: Error {
        let found: Int
    }
}
