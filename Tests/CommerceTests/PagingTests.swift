import XCTest
import Kernel
import KernelTesting
import Orders
import Inventory

/// Follows `next_cursor` through a paged list, `limit` rows a page, and returns every row
/// in the order served and how many pages it took. Fails on a page of the wrong shape.
func pageThrough(limit: Int64, file: StaticString = #filePath, line: UInt = #line,
                 _ fetch: (Value.Object) throws -> Value) throws -> (rows: [Value], pages: Int) {
    var rows: [Value] = [], pages = 0
    var input: Value.Object = ["limit": .int(limit)]
    while pages < 1_000 {
        let page = try fetch(input)
        pages += 1
        let items = try XCTUnwrap(page["items"]?.arrayValue, "a page is {items, next_cursor}", file: file, line: line)
        XCTAssertLessThanOrEqual(items.count, Int(limit), file: file, line: line)
        rows += items
        guard let next = page["next_cursor"], next != .null else { return (rows, pages) }
        XCTAssertEqual(items.count, Int(limit), "only the last page may be short", file: file, line: line)
        input["cursor"] = next
    }
    XCTFail("the cursor never reached the end", file: file, line: line)
    return (rows, pages)
}

/// Paged lists of Inventory and Orders: every row once, none skipped, in the list's order,
/// also when rows are added between two pages.
final class InventoryOrdersPagingTests: XCTestCase {
    var harness: KernelHarness!
    var shop: FixtureShop!
    var kernel: Kernel { harness.kernel }

    override func setUpWithError() throws {
        harness = try KernelHarness(plugins: [TablePricing(), OrdersPlugin(), InventoryPlugin()])
        shop = try harness.fixtureShop("north")
    }

    func ctx(_ role: BuiltInRole) throws -> OperationContext { try harness.context(as: shop.email(role), shop: shop.code) }

    func receive(_ sku: String, _ quantity: Int64) throws {
        try kernel.perform("inventory.adjust", input: ["sku": .string(sku), "quantity": .int(quantity), "reason": "received"],
                           context: try ctx(.warehouse))
    }

    func list(_ name: String, _ input: Value.Object = [:]) throws -> Value {
        try kernel.perform(name, input: input, context: try ctx(.auditor))
    }

    func testStockLevelsPageWithoutRepeatsOrGaps() throws {
        for index in 1...7 { try receive("SKU-\(index)", Int64(index)) }
        var added = false
        let (rows, pages) = try pageThrough(limit: 3) { input in
            let page = try list("inventory.stock.list", input)
            if !added { added = true; try receive("SKU-8", 8) }   // created while the client pages: comes last
            return page
        }
        XCTAssertEqual(pages, 3)
        XCTAssertEqual(rows.map { $0["sku"]!.display }, (1...8).map { "SKU-\($0)" })
        XCTAssertEqual(try list("inventory.stock.list", ["limit": 500])["items"]?.arrayValue, rows)
        XCTAssertEqual(try list("inventory.stock.list", ["limit": 8])["next_cursor"], .null)
        XCTAssertThrowsError(try list("inventory.stock.list", ["limit": 501]))
    }

    func testMovementsPageNewestFirstWithoutRepeatsOrGaps() throws {
        for quantity in 1...7 { try receive("TEA", Int64(quantity)) }
        var added = false
        let (rows, pages) = try pageThrough(limit: 3) { input in
            var input = input
            input["sku"] = "TEA"
            let page = try list("inventory.movements", input)
            if !added { added = true; try receive("TEA", 100) }   // newer than the cursor: not in this walk
            return page
        }
        XCTAssertEqual(pages, 3)
        XCTAssertEqual(rows.map { $0["on_hand"]!.intValue! }, [7, 6, 5, 4, 3, 2, 1], "newest first, each once")
    }

    func testReservationsAndAfterSalesRequestsPageWithoutRepeatsOrGaps() throws {
        try receive("TEA", 100)
        var numbers: [String] = []
        for _ in 1...7 {
            let number = try kernel.perform("orders.place", input: ["lines": ["TEA:1"]], context: try ctx(.clerk))["number"]!.stringValue!
            numbers.append(number)
        }
        let held = try pageThrough(limit: 2) { try list("inventory.reservations.list", $0) }
        XCTAssertEqual(held.pages, 4)
        XCTAssertEqual(held.rows.map { $0["order"]!.display }, numbers, "oldest first, each once")

        for number in numbers {
            try kernel.perform("orders.pay", input: ["order": .string(number)], context: try ctx(.finance))
            try kernel.perform("orders.refund.request", input: ["order": .string(number), "amount": 100, "reason": "late"],
                               context: try ctx(.clerk))
        }
        let requests = try pageThrough(limit: 3) { try list("orders.aftersales.list", $0) }
        XCTAssertEqual(requests.pages, 3)
        XCTAssertEqual(requests.rows.map { $0["order"]!.display }, numbers.reversed(), "newest first, each once")
        XCTAssertEqual(Set(requests.rows.compactMap { $0["id"]?.intValue }).count, 7)
    }
}
