import XCTest
import Kernel
import KernelTesting

/// `storefront.products.*`: what anonymous visitors see of the catalog.
final class StorefrontCatalogTests: StorefrontTestCase {
    func testAnonymousVisitorsSeeOnlyProductsOnSaleWithPricesAndNoStaffFields() throws {
        let page = try shop("storefront.products.list")
        let items = page["items"]!.arrayValue!
        XCTAssertEqual(items.map { $0["handle"]!.stringValue! }, ["tea", "cup"], "no draft, no product scheduled for later")
        XCTAssertEqual(page["next_cursor"], .null)
        let tea = items[0]
        XCTAssertEqual(tea["price"], ["amount": 450, "currency": "EUR", "display": "4.50 EUR"], "the lowest SKU price")
        XCTAssertEqual(tea["currency"], "EUR")
        XCTAssertEqual(tea["price_varies"], true)
        XCTAssertEqual(Set(tea.objectValue!.keys), ["id", "handle", "title", "image", "price", "currency", "price_varies"])

        let shown = try shop("storefront.products.show", ["product": "tea"])
        XCTAssertEqual(shown["title"], "Green tea")
        XCTAssertEqual(shown["skus"], [["code": "TEA-1", "price": ["amount": 450, "currency": "EUR", "display": "4.50 EUR"]],
                                       ["code": "TEA-5", "price": ["amount": 2000, "currency": "EUR", "display": "20.00 EUR"]]])
        for staffOnly in ["listed", "listed_now", "list_at", "unlist_at", "keywords", "created_at", "updated_at"] {
            XCTAssertNil(shown[staffOnly], staffOnly)
        }
        XCTAssertFalse(JSON.encode(shown).contains("4006381333931"), "no barcode")
        // By id too.
        XCTAssertEqual(try shop("storefront.products.show", ["product": .string("\(tea["id"]!.intValue!)")])["handle"], "tea")
    }

    func testUnlistedAndUnknownProductsAreTheSameNotFound() throws {
        let draft = refusal("storefront.products.show", ["product": "draft"])
        let unknown = refusal("storefront.products.show", ["product": "nothing"])
        XCTAssertEqual(draft?.code, .notFound)
        XCTAssertEqual(draft?.message, "no product 'draft' in this shop")
        XCTAssertEqual(unknown?.message, "no product 'nothing' in this shop")
        XCTAssertEqual(refusal("storefront.products.show", ["product": "later"])?.code, .notFound)

        // Once its listing starts, the scheduled product is on sale.
        harness.clock.advance(by: 2 * 86_400)
        XCTAssertEqual(try shop("storefront.products.show", ["product": "later"])["title"], "Coming soon")
    }

    func testCursorPaginationAndSearch() throws {
        let first = try shop("storefront.products.list", ["limit": 1])
        XCTAssertEqual(first["items"]?.arrayValue?.map { $0["handle"] }, ["tea"])
        let cursor = try XCTUnwrap(first["next_cursor"]?.intValue)
        let second = try shop("storefront.products.list", ["limit": 1, "cursor": .int(cursor)])
        XCTAssertEqual(second["items"]?.arrayValue?.map { $0["handle"] }, ["cup"])
        XCTAssertEqual(second["next_cursor"], .null)
        XCTAssertEqual(try shop("storefront.products.list", ["q": "SENCHA"])["items"]?.arrayValue?.count, 1)
        XCTAssertEqual(try shop("storefront.products.list", ["q": "secret"])["items"]?.arrayValue?.count, 0, "drafts are not found")
        XCTAssertEqual(refusal("storefront.products.list", ["limit": 101])?.code, .invalidInput)
    }

    func testStaffUseTheBackOfficeNotTheStorefront() throws {
        XCTAssertThrowsError(try kernel.perform("storefront.products.list", context: try harness.context(as: shop.manager, shop: shop.code))) {
            XCTAssertEqual(($0 as? KernelError)?.code, .permissionDenied)
        }
        // And a shopper cannot use the back office's catalog.
        XCTAssertEqual(refusal("catalog.product.list", token: try guest())?.code, .permissionDenied)
    }
}
