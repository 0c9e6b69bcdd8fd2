import Foundation

/// RFC 4180 CSV: quoted fields, embedded commas, quotes and newlines, CRLF or LF line ends,
/// UTF-8 with or without a byte-order mark. Used by imports and exports.
public enum CSV {
    /// One record and the line of the file where it starts (1-based), for error messages.
    public struct Record: Sendable, Equatable {
        public let line: Int
        public let fields: [String]
    }

    /// Parses `text` into records. Fails with the line number on an unterminated quote or a
    /// quote in the middle of an unquoted field.
    public static func parse(_ text: String) throws -> [Record] {
        var scalars = Array(text.unicodeScalars)
        if scalars.first == "\u{FEFF}" { scalars.removeFirst() }
        var records: [Record] = []
        var fields: [String] = []
        var field = String.UnicodeScalarView()
        var line = 1, recordLine = 1
        var index = 0
        var inQuotes = false, wasQuoted = false, atFieldStart = true
        func endField() {
            fields.append(String(field))
            field = String.UnicodeScalarView()
            wasQuoted = false
            atFieldStart = true
        }
        func endRecord() {
            endField()
            // A blank line is not a record.
            if !(fields.count == 1 && fields[0].isEmpty) { records.append(Record(line: recordLine, fields: fields)) }
            fields = []
        }
        while index < scalars.count {
            let c = scalars[index]
            if inQuotes {
                if c == "\"" {
                    if index + 1 < scalars.count, scalars[index + 1] == "\"" {
                        field.append("\""); index += 2; continue
                    }
                    inQuotes = false
                    index += 1
                    continue
                }
                if c == "\n" { line += 1 }
                if c == "\r", index + 1 < scalars.count, scalars[index + 1] == "\n" {
                    field.append("\r"); field.append("\n"); line += 1; index += 2; continue
                }
                field.append(c)
                index += 1
                continue
            }
            switch c {
            case "\"":
                guard atFieldStart else {
                    throw KernelError(.invalidInput, "CSV line \(line): a quote inside an unquoted field; quote the whole field and double the quote")
                }
                inQuotes = true
                wasQuoted = true
                atFieldStart = false
            case ",":
                endField()
            case "\r":
                if index + 1 < scalars.count, scalars[index + 1] == "\n" { index += 1 }
                endRecord(); line += 1; recordLine = line
            case "\n":
                endRecord(); line += 1; recordLine = line
            default:
                if wasQuoted {
                    throw KernelError(.invalidInput, "CSV line \(line): text after a closing quote")
                }
                field.append(c)
                atFieldStart = false
            }
            index += 1
        }
        if inQuotes { throw KernelError(.invalidInput, "CSV line \(recordLine): a quoted field is never closed") }
        if !field.isEmpty || !fields.isEmpty || wasQuoted { endRecord() }
        return records
    }

    /// Writes records with CRLF line ends, quoting only fields that need it.
    public static func write(_ rows: [[String]]) -> String {
        rows.map { row in row.map(escape).joined(separator: ",") }.joined(separator: "\r\n") + (rows.isEmpty ? "" : "\r\n")
    }

    static func escape(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) || field.hasPrefix(" ") || field.hasSuffix(" ") else {
            return field
        }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
