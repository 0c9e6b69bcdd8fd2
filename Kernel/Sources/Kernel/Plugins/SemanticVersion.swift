/// A version `MAJOR.MINOR.PATCH`.
public struct SemanticVersion: Sendable, Comparable, Hashable, CustomStringConvertible {
    public let major: Int, minor: Int, patch: Int

    public init(_ major: Int, _ minor: Int, _ patch: Int) {
        self.major = major; self.minor = minor; self.patch = patch
    }

    /// Parses "1.2.3" (a missing minor or patch reads as 0).
    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map { Int($0) }
        guard (1...3).contains(parts.count), parts.allSatisfy({ ($0 ?? -1) >= 0 }) else { return nil }
        let numbers = parts.map { $0! } + [0, 0]
        self.init(numbers[0], numbers[1], numbers[2])
    }

    public var description: String { "\(major).\(minor).\(patch)" }

    public static func < (a: SemanticVersion, b: SemanticVersion) -> Bool {
        (a.major, a.minor, a.patch) < (b.major, b.minor, b.patch)
    }
}

/// The kernel versions a plugin works with: `lower` included, `upper` excluded.
public struct VersionRange: Sendable, CustomStringConvertible {
    public let lower: SemanticVersion
    public let upper: SemanticVersion

    public init(from lower: SemanticVersion, upTo upper: SemanticVersion) {
        self.lower = lower
        self.upper = upper
    }

    /// The range a plugin built against `version` should declare: same major version, or
    /// for 0.x kernels the same minor version (0.x minors may break the plugin API).
    public static func compatible(with version: SemanticVersion) -> VersionRange {
        let upper = version.major == 0 ? SemanticVersion(0, version.minor + 1, 0) : SemanticVersion(version.major + 1, 0, 0)
        return VersionRange(from: version, upTo: upper)
    }

    public func contains(_ version: SemanticVersion) -> Bool { lower <= version && version < upper }

    public var description: String { ">=\(lower) <\(upper)" }
}
