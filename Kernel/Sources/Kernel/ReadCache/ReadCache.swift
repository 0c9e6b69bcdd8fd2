import Foundation

/// What a host asks on almost every request (whose token is this, what may they do in this
/// shop, which plugins are on there) and the answers of reads that said they may be
/// reused, kept in memory for as long as the database has not changed.
///
/// Correctness rests on one rule: every entry is tagged with the generation a probe of the
/// database handed out *before* the database was read for it (`DataVersionProbe`), and is
/// used only by requests whose own probe hands out the same generation. Any commit (an
/// operation here, a CLI command in another process) raises the generation, and the next
/// request drops everything. An entry can therefore be newer than its tag, never older
/// than the last commit before the probe that serves it.
final class ReadCache: @unchecked Sendable {
    struct StaffEntry {
        let staff: StaffAccount
        let expiresAt: Int64
    }

    /// A storefront session as stored (the token is the key).
    struct ShopperSessionEntry {
        let id: Int64
        let shopID: Int64
        let customerID: Int64?
        let expiresAt: Int64
    }

    struct PermissionKey: Hashable {
        let staffID: Int64
        let shopID: Int64
    }

    /// The operation, the shop and the validated input: all a reusable answer may depend on.
    struct AnswerKey: Hashable {
        let operation: String
        let shopID: Int64
        let input: Value.Object
    }

    /// A cached answer and until when it holds (answers that depend on the clock, such as
    /// "listed now", say when they stop being true).
    struct AnswerEntry {
        let answer: Answer
        let validUntil: Int64?
    }

    private let probe: DataVersionProbe?
    private let lock = NSLock()
    // All guarded by `lock`:
    private var version: Int64 = .min
    private var staff: [String: StaffEntry] = [:]
    private var shops: [String: ShopRef] = [:]
    private var shopperSessions: [String: ShopperSessionEntry] = [:]
    private var permissions: [PermissionKey: Set<Permission>] = [:]
    private var enabledPlugins: [Int64: Set<String>] = [:]
    private var answers: [AnswerKey: AnswerEntry] = [:]
    private var stats = ReadCacheStats()
    /// Operations that have declared an answer reusable at least once since start (never
    /// emptied): an event loop does not even probe for the others.
    private var reusableOperations: Set<String> = []

    /// Bounds the memory a flood of distinct requests can take: a full table is emptied.
    static let identityLimit = 20_000
    static let answerLimit = 4_096

    /// `path`: the database file. Without a probe (it could not be opened) nothing is cached.
    init(path: String) {
        // A private in-memory database would be a different database on the probe's
        // connection, whose version never moves: no cache at all then.
        let isFile = !path.isEmpty && path != ":memory:" && !path.contains("mode=memory")
        // SOUK_READ_CACHE=off: every request reads the database (to compare, or to rule the
        // cache out when chasing a problem).
        let disabled = ProcessInfo.processInfo.environment["SOUK_READ_CACHE"] == "off"
        probe = isFile && !disabled ? try? DataVersionProbe(path: path) : nil
    }

    /// Probes the database and, when the generation moved, forgets everything. Returns the
    /// generation to tag lookups and new entries with; nil when this request must not use
    /// the cache (see `DataVersionProbe.current`).
    func begin(mayOpen: Bool = true) -> Int64? {
        guard let current = probe?.current(mayOpen: mayOpen) else { return nil }
        lock.lock()
        defer { lock.unlock() }
        advance(to: current)
        return current
    }

    /// What one request needs to know about its caller, read under one lock (an event loop
    /// asks on every request; two loops taking the lock seven times each were contending).
    struct Identity {
        var shop: ShopRef?
        var staff: StaffAccount?
        var shopperSession: ShopperSessionEntry?
        var permissions: Set<Permission>?
        var enabledPlugins: Set<String>?
    }

    /// `begin` and the identity lookups of one request together; nil when the request must
    /// not use the cache, or when `operation` never declared a reusable answer (no probe then).
    func identity(operation: String, shopCode: String?, staffToken: String?, shopperToken: String?, now: Int64,
                  mayOpen: Bool) -> (version: Int64, identity: Identity)? {
        lock.lock()
        let reusable = reusableOperations.contains(operation)
        lock.unlock()
        guard reusable, let current = probe?.current(mayOpen: mayOpen) else { return nil }
        lock.lock()
        defer { lock.unlock() }
        advance(to: current)
        guard current == version else { return nil }
        var found = Identity()
        if let shopCode {
            found.shop = shops[shopCode]
            if let id = found.shop?.id { found.enabledPlugins = enabledPlugins[id] }
        }
        if let staffToken, let entry = staff[staffToken], entry.expiresAt > now {
            found.staff = entry.staff
            if let shopID = found.shop?.id {
                found.permissions = permissions[PermissionKey(staffID: entry.staff.id, shopID: shopID)]
            }
        }
        if let shopperToken { found.shopperSession = shopperSessions[shopperToken] }
        return (current, found)
    }

    /// Moves to generation `current`, forgetting everything when it is new. Under `lock`.
    private func advance(to current: Int64) {
        if current > version {
            if version != .min { stats.resets += 1 }
            version = current
            staff.removeAll(keepingCapacity: true)
            shops.removeAll(keepingCapacity: true)
            shopperSessions.removeAll(keepingCapacity: true)
            permissions.removeAll(keepingCapacity: true)
            enabledPlugins.removeAll(keepingCapacity: true)
            answers.removeAll(keepingCapacity: true)
        }
    }

    // MARK: Lookups: nil unless the entry belongs to `version`

    func staff(token: String, version: Int64, now: Int64) -> StaffAccount? {
        read(version) { staff[token] }.flatMap { $0.expiresAt > now ? $0.staff : nil }
    }

    /// Expiry is the caller's to check: an expired session is refused, not looked up again.
    func shopperSession(token: String, version: Int64) -> ShopperSessionEntry? {
        read(version) { shopperSessions[token] }
    }

    func shop(code: String, version: Int64) -> ShopRef? {
        read(version) { shops[code] }
    }

    func permissions(staffID: Int64, shopID: Int64, version: Int64) -> Set<Permission>? {
        read(version) { permissions[PermissionKey(staffID: staffID, shopID: shopID)] }
    }

    func enabledPlugins(shopID: Int64, version: Int64) -> Set<String>? {
        read(version) { enabledPlugins[shopID] }
    }

    func answer(key: AnswerKey, version: Int64, now: Int64) -> Answer? {
        lock.lock()
        defer { lock.unlock() }
        guard version == self.version, let entry = answers[key], entry.validUntil.map({ now < $0 }) ?? true else {
            // Reads that never declared a reusable answer are not misses of the cache.
            if reusableOperations.contains(key.operation) { stats.answerMisses += 1 }
            return nil
        }
        stats.answerHits += 1
        return entry.answer
    }

    // MARK: Stores: dropped unless `version` is still the current one

    func remember(token: String, _ entry: StaffEntry, version: Int64) {
        write(version) { if staff.count >= Self.identityLimit { staff.removeAll() }; staff[token] = entry }
    }

    func remember(shopperToken token: String, _ entry: ShopperSessionEntry, version: Int64) {
        write(version) {
            if shopperSessions.count >= Self.identityLimit { shopperSessions.removeAll() }
            shopperSessions[token] = entry
        }
    }

    func remember(shop: ShopRef, version: Int64) {
        write(version) { if shops.count >= Self.identityLimit { shops.removeAll() }; shops[shop.code] = shop }
    }

    func remember(permissions set: Set<Permission>, staffID: Int64, shopID: Int64, version: Int64) {
        write(version) {
            if permissions.count >= Self.identityLimit { permissions.removeAll() }
            permissions[PermissionKey(staffID: staffID, shopID: shopID)] = set
        }
    }

    func remember(enabledPlugins set: Set<String>, shopID: Int64, version: Int64) {
        write(version) {
            if enabledPlugins.count >= Self.identityLimit { enabledPlugins.removeAll() }
            enabledPlugins[shopID] = set
        }
    }

    func remember(answer: Answer, key: AnswerKey, validUntil: Int64?, version: Int64) {
        lock.lock()
        reusableOperations.insert(key.operation)
        lock.unlock()
        write(version) {
            if answers.count >= Self.answerLimit { answers.removeAll() }
            answers[key] = AnswerEntry(answer: answer, validUntil: validUntil)
        }
    }

    /// How many answers are held (for tests and `/metrics`).
    var answerCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return answers.count
    }

    var snapshot: ReadCacheStats {
        lock.lock()
        defer { lock.unlock() }
        var copy = stats
        copy.answersHeld = answers.count
        copy.enabled = probe != nil
        copy.changeProbe = probe.map { $0.readsWALHeader ? "wal_header" : "data_version" } ?? "off"
        return copy
    }

    private func read<T>(_ tag: Int64, _ body: () -> T?) -> T? {
        lock.lock()
        defer { lock.unlock() }
        return tag == version ? body() : nil
    }

    private func write(_ tag: Int64, _ body: () -> Void) {
        lock.lock()
        defer { lock.unlock() }
        if tag == version { body() }
    }
}

/// Counters of the read cache since start (`Kernel.readCacheStats`, `/metrics`).
public struct ReadCacheStats: Sendable {
    /// Reusable reads answered from memory.
    public var answerHits = 0
    /// Reads that looked for a kept answer and did not find one (first ask, or data changed).
    public var answerMisses = 0
    /// Times a commit emptied the cache.
    public var resets = 0
    /// Answers held now.
    public var answersHeld = 0
    /// False when `SOUK_READ_CACHE=off` or the database file cannot be watched.
    public var enabled = true
    /// How commits are seen: `wal_header` (reading the WAL index header, no system call),
    /// `data_version` (the pragma on a connection of its own), or `off`.
    public var changeProbe = "off"
}
