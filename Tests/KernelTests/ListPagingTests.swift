import XCTest
import Kernel
import KernelTesting

/// The kernel's paged lists (shops, staff; audit and outbox have their own tests): every row
/// once, none skipped, also when rows are added between two pages.
final class ListPagingTests: XCTestCase {
    var harness: KernelHarness!

    override func setUpWithError() throws { harness = try KernelHarness() }

    /// Follows next_cursor, `limit` a page; calls `between` after the first page.
    private func pages(_ operation: String, limit: Int64, context: OperationContext,
                       between: () throws -> Void = {}) throws -> (rows: [Value], pages: Int) {
        var rows: [Value] = [], pages = 0
        var input: Value.Object = ["limit": .int(limit)]
        while pages < 100 {
            let page = try harness.kernel.perform(operation, input: input, context: context)
            pages += 1
            let items = try XCTUnwrap(page["items"]?.arrayValue, "a page is {items, next_cursor}")
            rows += items
            if pages == 1 { try between() }
            guard let next = page["next_cursor"], next != .null else { break }
            XCTAssertEqual(items.count, Int(limit), "only the last page may be short")
            input["cursor"] = next
        }
        return (rows, pages)
    }

    func testShopListPagesInCreationOrder() throws {
        for code in ["m", "c", "x", "a", "q"] { try harness.addShop(code) }
        let walk = try pages("shop.list", limit: 2, context: try harness.operatorContext()) {
            try harness.addShop("b")   // created while paging: after the cursor, so it is still seen
        }
        XCTAssertEqual(walk.rows.map { $0["code"]!.display }, ["m", "c", "x", "a", "q", "b"])
        XCTAssertEqual(walk.pages, 3)
        // Staff see only the shops where they hold a role, paged the same way.
        try harness.addStaff("multi@x.test", role: "clerk", shop: "x")
        for code in ["a", "b"] {
            try harness.kernel.perform("staff.grant", input: ["email": "multi@x.test", "role": "clerk"],
                                       context: try harness.operatorContext(shop: code))
        }
        let own = try pages("shop.list", limit: 1, context: try harness.context(as: "multi@x.test", shop: nil))
        XCTAssertEqual(own.rows.map { $0["code"]!.display }, ["x", "a", "b"])
    }

    func testStaffListPagesWithoutRepeatsOrGaps() throws {
        try harness.addShop("s")
        let emails = ["zoe", "adam", "mia", "bob", "eve", "kim", "lou"].map { "\($0)@s.test" }
        for email in emails { try harness.addStaff(email, role: "clerk", shop: "s") }
        let context = try harness.operatorContext(shop: "s")
        let whole = try XCTUnwrap(harness.kernel.perform("staff.list", input: ["limit": 500], context: context)["items"]?.arrayValue)
        let walk = try pages("staff.list", limit: 3, context: context) {
            try harness.addStaff("new@s.test", role: "clerk", shop: "s")
        }
        XCTAssertEqual(Array(walk.rows.prefix(whole.count)), whole, "every member once, in the order they joined")
        XCTAssertEqual(walk.rows.last?["email"], "new@s.test", "a member added while paging comes last")
        XCTAssertEqual(walk.rows.compactMap { $0["email"]?.stringValue }.filter(emails.contains), emails)
    }
}
