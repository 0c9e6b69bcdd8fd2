/// Applies each module's migrations once, in version order, each in its own transaction.
struct Migrator {
    let store: Store
    let now: () -> Int64

    static let bootstrap = """
        CREATE TABLE IF NOT EXISTS souk_schema (
            module TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL,
            applied_at INTEGER NOT NULL, PRIMARY KEY (module, version));
        """

    /// Checks `module` is not ahead of the code, then applies the missing versions.
    /// Returns the versions applied by this call.
    @discardableResult
    func migrate(module: String, _ migrations: [Migration]) throws -> [Int] {
        let sorted = migrations.sorted { $0.version < $1.version }
        for (index, migration) in sorted.enumerated() where migration.version != index + 1 {
            throw KernelError(.invalidInput,
                "migrations of '\(module)' must be numbered 1, 2, 3...; found version \(migration.version) at position \(index + 1)")
        }
        let known = sorted.last?.version ?? 0
        var applied: [Int] = []
        for migration in sorted {
            // Re-read the version inside each write: another process may be migrating too.
            let didApply = try store.write { tx -> Bool in
                try tx.connection.execute(script: Self.bootstrap)
                let current = try currentVersion(module: module, tx)
                if current > known {
                    throw KernelError(.schemaTooNew,
                        "the database's schema for '\(module)' is at version \(current) but this build of Souk knows only up to \(known); use a newer Souk or restore a backup made by this version")
                }
                guard migration.version > current else { return false }
                try tx.connection.execute(script: migration.sql)
                try tx.execute("INSERT INTO souk_schema (module, version, name, applied_at) VALUES (?, ?, ?, ?)",
                               [module, migration.version, migration.name, now()])
                return true
            }
            if didApply { applied.append(migration.version) }
        }
        if sorted.isEmpty {
            try store.write { tx in
                try tx.connection.execute(script: Self.bootstrap)
                let current = try currentVersion(module: module, tx)
                if current > 0 {
                    throw KernelError(.schemaTooNew,
                        "the database's schema for '\(module)' is at version \(current) but this build of Souk knows none")
                }
            }
        }
        return applied
    }

    func currentVersion(module: String, _ tx: Transaction) throws -> Int {
        let rows = try tx.query("SELECT COALESCE(MAX(version), 0) AS v FROM souk_schema WHERE module = ?", [module])
        return try rows.first?.int("v") ?? 0
    }
}
