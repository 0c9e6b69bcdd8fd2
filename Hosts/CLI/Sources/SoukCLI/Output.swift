import Foundation
import Kernel

/// Renders results for people (aligned fields and tables) or for scripts (`--json`).
enum Output {
    static func render(_ value: Value, json: Bool) -> String {
        if json { return JSON.encode(value, pretty: false) + "\n" }
        if let (items, next) = page(value) {
            let rendered = render(.array(items), json: false)
            return next == .null ? rendered : rendered + "(more: --cursor \(next.display))\n"
        }
        switch value {
        case .array(let rows):
            if rows.isEmpty { return "(none)\n" }
            if rows.allSatisfy({ $0.objectValue != nil }) { return table(rows.compactMap(\.objectValue)) }
            return rows.map(\.display).joined(separator: "\n") + "\n"
        case .object(let object):
            let width = object.keys.map(\.count).max() ?? 0
            return object.map { key, item in
                key.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + item.display
            }.joined(separator: "\n") + "\n"
        default:
            return value.display + "\n"
        }
    }

    /// A page of a paged list (`{"items": [...], "next_cursor": N|null}`, nothing else):
    /// shown as its items, with a hint line naming the next cursor when there is one.
    static func page(_ value: Value) -> (items: [Value], next: Value)? {
        guard case .object(let object) = value, object.count == 2,
              case .array(let items)? = object["items"], let next = object["next_cursor"] else { return nil }
        return (items, next)
    }

    static func table(_ rows: [Value.Object]) -> String {
        var columns: [String] = []
        for row in rows { for key in row.keys where !columns.contains(key) { columns.append(key) } }
        let cells = rows.map { row in columns.map { (row[$0] ?? .null).display.replacingOccurrences(of: "\n", with: " ") } }
        let widths = columns.indices.map { column in
            max(columns[column].count, cells.map { $0[column].count }.max() ?? 0)
        }
        func line(_ items: [String]) -> String {
            zip(items, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }
                .joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
        return ([line(columns.map { $0.uppercased() })] + cells.map(line)).joined(separator: "\n") + "\n"
    }

    static func error(_ error: KernelError, json: Bool) -> String {
        if json {
            var object: Value.Object = ["code": .string(error.code.rawValue), "message": .string(error.message)]
            if let field = error.field { object["field"] = .string(field) }
            return JSON.encode(["error": .object(object)]) + "\n"
        }
        return "error: \(error.message)\n"
    }
}
