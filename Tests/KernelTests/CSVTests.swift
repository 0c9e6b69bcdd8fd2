import XCTest
import Kernel

final class CSVTests: XCTestCase {
    func testQuotesCommasNewlinesAndLineNumbers() throws {
        let text = "\u{FEFF}a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\"two\nlines\"\r\nplain,,end\n\n\"last\",1,2"
        let records = try CSV.parse(text)
        XCTAssertEqual(records.map(\.fields), [["a", "b", "c"], ["x, y", "say \"hi\"", "two\nlines"], ["plain", "", "end"], ["last", "1", "2"]])
        XCTAssertEqual(records.map(\.line), [1, 2, 4, 6], "a record starts on its own line, after embedded newlines and blank lines")
    }

    func testMalformedInputNamesTheLine() {
        XCTAssertThrowsError(try CSV.parse("a,b\n\"open,c\n")) {
            XCTAssertEqual(($0 as! KernelError).message, "CSV line 2: a quoted field is never closed")
        }
        XCTAssertThrowsError(try CSV.parse("a,b\nx,y\"z\n")) {
            XCTAssertEqual(($0 as! KernelError).message, "CSV line 2: a quote inside an unquoted field; quote the whole field and double the quote")
        }
        XCTAssertThrowsError(try CSV.parse("\"a\"b,c")) {
            XCTAssertEqual(($0 as! KernelError).message, "CSV line 1: text after a closing quote")
        }
    }

    func testWriteThenParseRoundTrips() throws {
        let rows = [["handle", "title"], ["tea", "Green, \"fresh\"\nleaves"], ["é", " padded "], ["", ""]]
        let text = CSV.write(rows)
        XCTAssertEqual(try CSV.parse(text).map(\.fields), rows)
        XCTAssertTrue(text.hasSuffix("\r\n"))
    }
}
