/// One versioned schema step of a module (the kernel or a plugin).
///
/// Versions start at 1 and grow by one. The kernel records each applied version in
/// `souk_schema`; a database holding a version newer than the code knows is refused.
///
/// ```swift
/// Migration(version: 1, name: "create wraps", sql: """
///     CREATE TABLE giftwrap_wraps (id INTEGER PRIMARY KEY, shop_id INTEGER NOT NULL, ...);
///     """)
/// ```
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    public let sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }
}
