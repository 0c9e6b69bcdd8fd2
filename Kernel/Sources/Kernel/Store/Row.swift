/// A decoded result row. Accessors throw `storage_error` naming the column when the
/// column is missing or holds a value of another type, instead of returning a default.
public struct Row: Sendable {
    /// Column names and their positions, shared by every row of one result.
    final class Columns: Sendable {
        let names: [String]
        let positions: [String: Int]
        init(_ names: [String]) {
            self.names = names
            var positions: [String: Int] = [:]
            for (index, name) in names.enumerated() where positions[name] == nil { positions[name] = index }
            self.positions = positions
            lengths = names.map(\.utf8.count)
        }

        /// UTF-8 length of each name, to skip most names without comparing text.
        private let lengths: [Int]

        /// The first column called `name`. Short results are searched in order (a length
        /// comparison per column costs less than hashing the name); wide ones by hash.
        func position(of name: String) -> Int? {
            guard names.count <= 24 else { return positions[name] }
            let length = name.utf8.count
            for index in names.indices where lengths[index] == length && names[index] == name { return index }
            return nil
        }
    }

    let layout: Columns
    public let values: [SQLValue]
    public var columns: [String] { layout.names }

    public init(columns: [String], values: [SQLValue]) {
        self.init(layout: Columns(columns), values: values)
    }

    init(layout: Columns, values: [SQLValue]) {
        self.layout = layout
        self.values = values
    }

    public subscript(column: String) -> SQLValue? {
        guard let index = layout.position(of: column) else { return nil }
        return values[index]
    }

    private func value(_ column: String) throws -> SQLValue {
        guard let value = self[column] else {
            throw KernelError(.storage, "result has no column '\(column)'")
        }
        return value
    }

    private func mismatch(_ column: String, _ expected: String, _ got: SQLValue) -> KernelError {
        KernelError(.storage, "column '\(column)' holds \(got), expected \(expected)")
    }

    public func int(_ column: String) throws -> Int {
        switch try value(column) {
        case .integer(let v): return Int(v)
        case let other: throw mismatch(column, "an integer", other)
        }
    }

    public func int64(_ column: String) throws -> Int64 {
        switch try value(column) {
        case .integer(let v): return v
        case let other: throw mismatch(column, "an integer", other)
        }
    }

    public func optionalInt(_ column: String) throws -> Int? {
        switch try value(column) {
        case .null: return nil
        case .integer(let v): return Int(v)
        case let other: throw mismatch(column, "an integer or NULL", other)
        }
    }

    public func string(_ column: String) throws -> String {
        switch try value(column) {
        case .text(let v): return v
        case let other: throw mismatch(column, "text", other)
        }
    }

    public func optionalString(_ column: String) throws -> String? {
        switch try value(column) {
        case .null: return nil
        case .text(let v): return v
        case let other: throw mismatch(column, "text or NULL", other)
        }
    }

    public func bool(_ column: String) throws -> Bool { try int64(column) != 0 }
}
