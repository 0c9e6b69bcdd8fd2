import XCTest
import Kernel
import KernelTesting
import Catalog

/// Prices one cart line through `checkout.price`, as checkout would, and returns the line.
final class CatalogPriceProbe: Plugin {
    let manifest = PluginManifest(id: "probe", name: "Price probe", version: SemanticVersion(1, 0, 0),
                                  kernel: .compatible(with: Kernel.version))

    func register(_ registrar: PluginRegistrar) throws {
        // The same in a read and in a write transaction (where checkout runs, and where the
        // writer's memo keeps SKUs between transactions).
        for (name, mutates) in [("probe.price", false), ("probe.price_in_write", true)] {
        try registrar.operation(OperationSpec(
            name: name, summary: "Price one cart line in the shop's currency",
            fields: [Field("sku", required: true, help: "SKU code"), Field("quantity", .int, required: true, help: "units")],
            permission: "shop.read", mutates: mutates
        ) { scope in
            let shopCurrency = try scope.context.requireShop().currency
            let cart = try scope.filter(Hooks.checkoutPrice, Cart(
                currency: Currency(code: shopCurrency)!,
                lines: [CartLine(sku: try scope.input.string("sku"), quantity: try scope.input.int("quantity"))]))
            let line = cart.lines[0]
            return ["sku": .string(line.sku), "title": .string(line.title), "product_id": line.productID.map(Value.int) ?? .null,
                    "unit_price": line.unitPrice?.value ?? .null, "weight_grams": .int(line.weightGrams),
                    "volume_cm3": .int(line.volumeCm3), "line_total": try line.total().value]
        })
        }
    }
}

/// Records `catalog.product_changed` events as "handle:listed".
final class CatalogEventRecorder: Plugin {
    let manifest = PluginManifest(id: "catalogwatch", name: "Catalog watcher", version: SemanticVersion(1, 0, 0),
                                  kernel: .compatible(with: Kernel.version))
    let seen = HookRecorder()

    func register(_ registrar: PluginRegistrar) throws {
        try registrar.subscribe(CatalogEvents.productChanged, name: "record") { event, _ in
            self.seen.add("\(event.handle):\(event.listed)")
        }
    }
}

final class CatalogTests: XCTestCase {
    static let header = "handle,title,description,keywords,tags,listed,sku,price,weight_grams,volume_cm3,barcode,images"

    var harness: KernelHarness!
    var shop: FixtureShop!
    var events: CatalogEventRecorder!
    var contexts: [String: OperationContext] = [:]
    var kernel: Kernel { harness.kernel }

    override func setUpWithError() throws {
        events = CatalogEventRecorder()
        harness = try KernelHarness(plugins: [CatalogPlugin(), CatalogPriceProbe(), events])
        shop = try harness.fixtureShop("north")
    }

    /// The context of the holder of `role` in a fixture shop (signed in once per test).
    func ctx(_ role: BuiltInRole, in code: String = "north") throws -> OperationContext {
        let key = "\(role.rawValue)@\(code)"
        if let context = contexts[key] { return context }
        let context = try harness.context(as: "\(role.rawValue)@\(code).test", shop: code)
        contexts[key] = context
        return context
    }

    @discardableResult
    func run(_ operation: String, _ input: Value.Object = [:], as role: BuiltInRole = .manager, in code: String = "north") throws -> Value {
        try kernel.perform(operation, input: input, context: try ctx(role, in: code))
    }

    /// The error `operation` fails with (the test fails when it succeeds).
    func refusal(_ operation: String, _ input: Value.Object = [:], as role: BuiltInRole = .manager, in code: String = "north",
                 file: StaticString = #filePath, line: UInt = #line) -> KernelError? {
        do {
            let result = try run(operation, input, as: role, in: code)
            XCTFail("\(operation) succeeded with \(JSON.encode(result))", file: file, line: line)
            return nil
        } catch {
            guard let error = error as? KernelError else {
                XCTFail("\(operation) threw \(error)", file: file, line: line)
                return nil
            }
            return error
        }
    }

    @discardableResult
    func product(_ handle: String, _ title: String, keywords: [String] = [], listed: Bool = true, in code: String = "north") throws -> Int64 {
        try run("catalog.product.create", ["handle": .string(handle), "title": .string(title),
                                           "keywords": .array(keywords.map(Value.string)), "listed": .bool(listed)], in: code)["id"]!.intValue!
    }

    func sku(_ product: String, _ code: String, price: Int64, weight: Int64 = 0, volume: Int64 = 0, in shopCode: String = "north") throws {
        try run("catalog.sku.add", ["product": .string(product), "code": .string(code), "price": .int(price),
                                    "weight_grams": .int(weight), "volume_cm3": .int(volume)], in: shopCode)
    }

    func listed(_ input: Value.Object = [:]) throws -> [String] {
        try run("catalog.product.list", input, as: .auditor)["items"]!.arrayValue!.map { $0["handle"]!.stringValue! }
    }

    func productCount(in code: String = "north") throws -> Int {
        try run("catalog.product.list", ["limit": 500], as: .auditor, in: code)["items"]!.arrayValue!.count
    }

    func audit(_ entity: String) throws -> [Value] {
        try run("audit.list", ["entity": .string(entity)])["items"]!.arrayValue!
    }

    // MARK: Products

    func testCreateShowAndUpdateAProduct() throws {
        let created = try run("catalog.product.create", [
            "handle": "tea", "title": "  Green tea ", "description": "Loose leaves", "keywords": ["tea", "green", "tea"],
            "images": ["https://cdn.test/tea.jpg"], "attributes": ["origin=Japan", "grade = first flush"],
        ], as: .clerk)
        let id = created["id"]!.intValue!
        XCTAssertEqual(created["title"], "Green tea")
        XCTAssertEqual(created["keywords"], ["tea", "green"], "duplicates are dropped, order kept")
        XCTAssertEqual(created["attributes"], ["origin": "Japan", "grade": "first flush"])
        XCTAssertEqual(created["listed"], false, "a new product is a draft")
        XCTAssertEqual(created["skus"], [])
        XCTAssertEqual(try run("catalog.product.show", ["handle": "tea"], as: .auditor), try run("catalog.product.show", ["id": .int(id)]))

        let updated = try run("catalog.product.update", ["id": .int(id), "new_handle": "green-tea", "title": "Sencha",
                                                         "keywords": ["sencha"]], as: .clerk)
        XCTAssertEqual(updated["handle"], "green-tea")
        XCTAssertEqual(updated["title"], "Sencha")
        XCTAssertEqual(updated["keywords"], ["sencha"])
        XCTAssertEqual(updated["description"], "Loose leaves", "fields not given are kept")
        let entry = try audit("product:\(id)")[0]
        XCTAssertEqual(entry["operation"], "catalog.product.update")
        XCTAssertEqual(entry["change"]?["title"], ["from": "Green tea", "to": "Sencha"])
        XCTAssertEqual(entry["change"]?["handle"], ["from": "tea", "to": "green-tea"])
        XCTAssertNil(entry["change"]?["description"], "unchanged fields are not in the audit change")
        XCTAssertEqual(events.seen.all, ["tea:false", "green-tea:false"])

        XCTAssertEqual(refusal("catalog.product.create", ["handle": "other", "title": "X", "images": ["ftp://cdn.test/x.jpg"]])?.message,
                       "image 'ftp://cdn.test/x.jpg' is not an http(s) URL such as https://example.com/tea.jpg")
        XCTAssertEqual(refusal("catalog.product.create", ["handle": "other", "title": "   "])?.message,
                       "the title is empty; every product needs one")
        XCTAssertEqual(refusal("catalog.product.create", ["handle": "other", "title": "X", "attributes": ["colour"]])?.message,
                       "attribute 'colour' is not in key=value form (e.g. colour=green)")
        let clash = refusal("catalog.product.create", ["handle": "green-tea", "title": "Again"])
        XCTAssertEqual(clash?.code, .conflict)
        XCTAssertEqual(clash?.message, "a product with handle 'green-tea' already exists (id \(id))")
        XCTAssertEqual(refusal("catalog.product.update", ["handle": "green-tea"])?.message,
                       "nothing to update: give at least one of new_handle, title, description, keywords, images, attributes")
        XCTAssertEqual(refusal("catalog.product.show", [:])?.message, "name the product with --id or --handle")
        XCTAssertEqual(refusal("catalog.product.show", ["id": 99])?.code, .notFound)
        XCTAssertEqual(refusal("catalog.product.create", ["handle": "x", "title": "X"], as: .warehouse)?.message,
                       "warehouse@north.test lacks permission 'catalog.product.write' in shop 'north'")
        XCTAssertEqual(try productCount(), 1, "refused creations wrote nothing")
    }

    func testSearchByTitleKeywordCategoryAndTagWithPages() throws {
        let green = try product("green-tea", "Green tea", keywords: ["tea", "sencha"])
        try product("black-tea", "Black tea", keywords: ["tea"])
        let rye = try product("rye", "Rye bread", keywords: ["sourdough"])
        try product("pot", "Teapot", keywords: ["kitchen"])
        try product("cup", "Cup", keywords: ["kitchen", "mug"], listed: false)

        XCTAssertEqual(try listed(["q": "TEA"]), ["green-tea", "black-tea", "pot"], "title match in any case")
        XCTAssertEqual(try listed(["q": "sourdough"]), ["rye"], "keyword match")
        XCTAssertEqual(try listed(["q": "mug"]), ["cup"])
        XCTAssertEqual(try listed(["q": "%"]), [], "LIKE wildcards in the query are literal")
        XCTAssertEqual(try listed(["listed": false]), ["cup"])
        XCTAssertEqual(try listed(["listed": true, "q": "kitchen"]), ["pot"])

        // Categories: Food > Bread > Rye, Food > Drinks, Kitchen.
        let food = try run("catalog.category.create", ["name": "Food"])["id"]!
        let bread = try run("catalog.category.create", ["name": "Bread", "parent": food])["id"]!
        let ryeCategory = try run("catalog.category.create", ["name": "Rye", "parent": bread])
        XCTAssertEqual(ryeCategory["path"], "Food > Bread > Rye")
        XCTAssertEqual(ryeCategory["depth"], 2)
        let drinks = try run("catalog.category.create", ["name": "Drinks", "parent": food])["id"]!
        try run("catalog.category.create", ["name": "Kitchen"])
        try run("catalog.category.assign", ["product": "rye", "category": ryeCategory["id"]!], as: .clerk)
        try run("catalog.category.assign", ["product": .string(String(green)), "category": drinks], as: .clerk)
        XCTAssertEqual(try listed(["category": food]), ["green-tea", "rye"], "a category includes the ones below it")
        XCTAssertEqual(try listed(["category": bread]), ["rye"])
        XCTAssertEqual(try listed(["category": drinks, "q": "tea"]), ["green-tea"])
        let tree = try run("catalog.category.list", as: .auditor).arrayValue!
        XCTAssertEqual(tree.map { $0["path"]!.stringValue! }, ["Food", "Food > Bread", "Food > Bread > Rye", "Food > Drinks", "Kitchen"])
        XCTAssertEqual(tree.map { $0["depth"]!.intValue! }, [0, 1, 2, 1, 0])
        XCTAssertEqual(tree.map { $0["products"]!.intValue! }, [0, 0, 1, 1, 0])
        XCTAssertEqual(try run("catalog.product.show", ["id": .int(rye)])["categories"],
                       [["id": ryeCategory["id"]!, "name": "Rye", "path": "Food > Bread > Rye"]])

        let again = refusal("catalog.category.create", ["name": "bread", "parent": food])
        XCTAssertEqual(again?.code, .conflict)
        XCTAssertEqual(again?.message, "a category named 'bread' already exists under 'Food' (id \(bread.intValue!))")
        XCTAssertEqual(refusal("catalog.category.create", ["name": "Kitchen"])?.message,
                       "a category named 'Kitchen' already exists at the top level (id 5)")
        try run("catalog.category.create", ["name": "Rye", "parent": drinks])  // same name, other parent: fine
        XCTAssertEqual(refusal("catalog.category.create", ["name": "Tins", "parent": 99])?.message,
                       "no category 99 in this shop to be the parent")
        XCTAssertEqual(refusal("catalog.category.assign", ["product": "rye", "category": ryeCategory["id"]!])?.message,
                       "product 'rye' is already in category 'Food > Bread > Rye'")
        try run("catalog.category.unassign", ["product": "rye", "category": ryeCategory["id"]!])
        XCTAssertEqual(try listed(["category": food]), ["green-tea"])

        // Tags.
        try run("catalog.tag.add", ["product": "rye", "tag": "organic"], as: .clerk)
        try run("catalog.tag.add", ["product": "green-tea", "tag": "organic"], as: .clerk)
        try run("catalog.tag.add", ["product": "green-tea", "tag": "new"], as: .clerk)
        XCTAssertEqual(try listed(["tag": "organic"]), ["green-tea", "rye"])
        XCTAssertEqual(try run("catalog.product.show", ["handle": "green-tea"])["tags"], ["new", "organic"])
        XCTAssertEqual(refusal("catalog.tag.add", ["product": "rye", "tag": "organic"])?.message, "product 'rye' already has tag 'organic'")
        try run("catalog.tag.remove", ["product": "rye", "tag": "organic"])
        XCTAssertEqual(try listed(["tag": "organic"]), ["green-tea"])
        XCTAssertEqual(refusal("catalog.tag.remove", ["product": "rye", "tag": "organic"])?.message, "product 'rye' has no tag 'organic'")

        // Keyset pages: 5 products, 3 per page.
        let first = try run("catalog.product.list", ["limit": 3], as: .clerk)
        XCTAssertEqual(first["items"]!.arrayValue!.map { $0["handle"]! }, ["green-tea", "black-tea", "rye"])
        XCTAssertEqual(first["next_cursor"], .int(rye))
        let second = try run("catalog.product.list", ["limit": 3, "cursor": first["next_cursor"]!], as: .clerk)
        XCTAssertEqual(second["items"]!.arrayValue!.map { $0["handle"]! }, ["pot", "cup"])
        XCTAssertEqual(second["next_cursor"], .null)
        let filtered = try run("catalog.product.list", ["q": "tea", "limit": 2])
        XCTAssertEqual(filtered["items"]!.arrayValue!.map { $0["handle"]! }, ["green-tea", "black-tea"])
        let rest = try run("catalog.product.list", ["q": "tea", "limit": 2, "cursor": filtered["next_cursor"]!])
        XCTAssertEqual(rest["items"]!.arrayValue!.map { $0["handle"]! }, ["pot"])
        XCTAssertEqual(rest["next_cursor"], .null)
        XCTAssertEqual(refusal("catalog.product.list", ["limit": 501])?.message, "limit must be between 1 and 500, got 501")
        XCTAssertEqual(refusal("catalog.product.list", ["category": 99])?.message, "no category 99 in this shop")
    }

    func testScheduledListingFollowsTheClock() throws {
        try product("bread", "Bread", listed: false)
        try sku("bread", "BREAD-1", price: 300)
        func listedNow() throws -> Value { try run("catalog.product.show", ["handle": "bread"])["listed_now"]! }

        // The fixed clock starts at 2027-01-15T08:00:00Z.
        let scheduled = try run("catalog.product.schedule", ["handle": "bread", "list_at": "2027-01-15T09:00:00Z",
                                                             "unlist_at": "2027-01-15T10:00:00Z"], as: .clerk)
        XCTAssertEqual(scheduled["listed"], true)
        XCTAssertEqual(scheduled["list_at"], "2027-01-15T09:00:00Z")
        XCTAssertEqual(scheduled["unlist_at"], "2027-01-15T10:00:00Z")
        XCTAssertEqual(try listedNow(), false, "before list_at")
        XCTAssertEqual(try listed(["listed": true]), [])
        XCTAssertEqual(refusal("probe.price", ["sku": "BREAD-1", "quantity": 1], as: .clerk)?.message,
                       "product 'Bread' (SKU BREAD-1) is not listed")

        harness.clock.advance(by: 3600)
        XCTAssertEqual(try listedNow(), true, "listed from list_at exactly")
        XCTAssertEqual(try listed(["listed": true]), ["bread"])
        XCTAssertEqual(try run("probe.price", ["sku": "BREAD-1", "quantity": 1], as: .clerk)["unit_price"]?["amount"], 300)

        harness.clock.advance(by: 3599)
        XCTAssertEqual(try listedNow(), true)
        harness.clock.advance(by: 1)
        XCTAssertEqual(try listedNow(), false, "not listed from unlist_at on")
        XCTAssertEqual(try listed(["listed": false]), ["bread"])

        XCTAssertEqual(refusal("catalog.product.schedule", ["handle": "bread", "list_at": "2027-02-01T00:00:00Z",
                                                            "unlist_at": "2027-01-31T00:00:00Z"])?.message,
                       "unlist_at (2027-01-31T00:00:00Z) must be after list_at (2027-02-01T00:00:00Z)")
        XCTAssertEqual(refusal("catalog.product.schedule", ["handle": "bread", "unlist_at": "2027-01-15T09:00:00Z"])?.message,
                       "unlist_at (2027-01-15T09:00:00Z) is already past; to take the product off now, use unpublish")
        XCTAssertEqual(refusal("catalog.product.schedule", ["handle": "bread"])?.message,
                       "give list_at, unlist_at or both (to list at once without a schedule, use publish)")

        let published = try run("catalog.product.publish", ["handle": "bread"])
        XCTAssertEqual(published["listed_now"], true)
        XCTAssertEqual(published["list_at"], .null, "publishing clears the schedule")
        XCTAssertEqual(published["unlist_at"], .null)
        XCTAssertEqual(try run("catalog.product.unpublish", ["handle": "bread"])["listed_now"], false)
        XCTAssertEqual(events.seen.all, ["bread:false", "bread:true", "bread:true", "bread:false"])
    }

    // MARK: SKUs

    func testSKUValidationAndUniqueCodes() throws {
        try product("tea", "Green tea")
        try product("cup", "Cup")
        let added = try run("catalog.sku.add", ["product": "tea", "code": "TEA-1.v2_a", "price": 450, "weight_grams": 100,
                                                "volume_cm3": 200, "barcode": "4006381333931"], as: .clerk)
        XCTAssertEqual(added["price"], ["amount": 450, "currency": "EUR", "display": "4.50 EUR"])
        XCTAssertEqual(added["barcode"], "4006381333931")

        func refused(_ input: Value.Object) -> String? {
            var full: Value.Object = ["product": "tea", "code": "TEA-2", "price": 100]
            for (key, value) in input { full[key] = value }
            return refusal("catalog.sku.add", full)?.message
        }
        XCTAssertEqual(refused(["code": "TEA 2"]), "SKU code 'TEA 2' is not valid: use 1-64 letters, digits, '-', '_' or '.'")
        XCTAssertEqual(refused(["code": .string(String(repeating: "A", count: 65))]),
                       "SKU code '\(String(repeating: "A", count: 65))' is not valid: use 1-64 letters, digits, '-', '_' or '.'")
        XCTAssertEqual(refused(["price": -1]), "price must be 0 or more minor units, got -1")
        XCTAssertEqual(refused(["weight_grams": -5]), "weight_grams must be 0 or more grams, got -5")
        XCTAssertEqual(refused(["volume_cm3": -2]), "volume_cm3 must be 0 or more cubic centimetres, got -2")
        XCTAssertEqual(refused(["barcode": "1234567"]), "barcode '1234567' is not valid: use 8 to 14 digits (EAN-8, UPC, EAN-13, GTIN-14)")
        XCTAssertEqual(refused(["barcode": "40063813339x1"]), "barcode '40063813339x1' is not valid: use 8 to 14 digits (EAN-8, UPC, EAN-13, GTIN-14)")
        XCTAssertEqual(refused(["product": "nope"]), "no product 'nope' in this shop")
        XCTAssertEqual(refused(["price": "cheap"]), "field 'price' expects a whole number, got \"cheap\"")
        let duplicate = refusal("catalog.sku.add", ["product": "cup", "code": "TEA-1.v2_a", "price": 1])
        XCTAssertEqual(duplicate?.code, .conflict)
        XCTAssertEqual(duplicate?.message, "SKU code 'TEA-1.v2_a' is already used by product 'tea'")
        XCTAssertEqual(try run("catalog.sku.list", ["product": "cup"]), [], "nothing was written by the refused adds")
        XCTAssertEqual(try run("catalog.sku.list", ["product": "tea"]).arrayValue!.count, 1)

        let updated = try run("catalog.sku.update", ["code": "TEA-1.v2_a", "price": 500, "barcode": ""], as: .clerk)
        XCTAssertEqual(updated["price"]?["amount"], 500)
        XCTAssertEqual(updated["barcode"], .null, "an empty barcode removes it")
        XCTAssertEqual(updated["weight_grams"], 100, "fields not given are kept")
        XCTAssertEqual(try audit("sku:TEA-1.v2_a")[0]["change"],
                       ["price": ["from": "4.50 EUR", "to": "5.00 EUR"], "barcode": ["from": "4006381333931", "to": nil]])
        XCTAssertEqual(refusal("catalog.sku.update", ["code": "TEA-1.v2_a", "price": -3])?.message, "price must be 0 or more minor units, got -3")
        XCTAssertEqual(refusal("catalog.sku.update", ["code": "NOPE", "price": 3])?.message, "no SKU 'NOPE' in this shop")
        XCTAssertEqual(try run("catalog.product.show", ["handle": "tea"])["skus"]?.arrayValue?.first?["price"]?["amount"], 500)
    }

    // MARK: CSV

    func testImportReadsQuotesCommasNewlinesBOMAndBothLineEnds() throws {
        let crlf = "\u{FEFF}" + [
            Self.header,
            #"tea,"Green tea, loose","Leaves, 100 g"# + "\r\n" + #"Say ""hi""",tea|green,drinks|organic,true,TEA-1,450,100,200,4006381333931,https://cdn.test/a.jpg|https://cdn.test/b.jpg"#,
            "tea,,,,,,TEA-2,1450,250,700,,",
            "bare,Bare product,,,,false,,,,,,",
        ].joined(separator: "\r\n") + "\r\n"
        let counts = try run("catalog.import", ["csv": .string(crlf)])
        XCTAssertEqual(counts, ["products_created": 2, "products_updated": 0, "skus_created": 2, "skus_updated": 0])
        let tea = try run("catalog.product.show", ["handle": "tea"])
        XCTAssertEqual(tea["title"], "Green tea, loose")
        XCTAssertEqual(tea["description"], "Leaves, 100 g\r\nSay \"hi\"")
        XCTAssertEqual(tea["keywords"], ["tea", "green"])
        XCTAssertEqual(tea["tags"], ["drinks", "organic"])
        XCTAssertEqual(tea["images"], ["https://cdn.test/a.jpg", "https://cdn.test/b.jpg"])
        XCTAssertEqual(tea["listed"], true)
        XCTAssertEqual(tea["skus"]?.arrayValue?.map { $0["code"]! }, ["TEA-1", "TEA-2"])
        XCTAssertEqual(tea["skus"]?.arrayValue?[1]["price"]?["amount"], 1450)
        XCTAssertEqual(tea["skus"]?.arrayValue?[0]["barcode"], "4006381333931")
        XCTAssertEqual(try run("catalog.product.show", ["handle": "bare"])["skus"], [], "a row without a SKU makes a product only")

        let lf = Self.header + "\n" + """
            tea,"Green tea, loose",,,,true,TEA-1,500,100,200,,
            cup,Cup,"Stoneware,
            white",cup,kitchen,false,CUP-1,1200,300,500,,

            """
        XCTAssertEqual(try run("catalog.import", ["csv": .string(lf)]),
                       ["products_created": 1, "products_updated": 1, "skus_created": 1, "skus_updated": 1])
        XCTAssertEqual(try run("catalog.product.show", ["handle": "cup"])["description"], "Stoneware,\nwhite")
        let teaAgain = try run("catalog.product.show", ["handle": "tea"])
        XCTAssertEqual(teaAgain["skus"]?.arrayValue?.map { $0["price"]!["amount"]! }, [500, 1450], "TEA-1 updated, TEA-2 kept")
        XCTAssertEqual(teaAgain["description"], "", "an import sets every product column")
        XCTAssertEqual(teaAgain["tags"], [])
        let entry = try audit("catalog:import")[0]
        XCTAssertEqual(entry["change"], ["products_created": 1, "products_updated": 1, "skus_created": 1, "skus_updated": 1, "rows": 2])
        XCTAssertEqual(events.seen.all, ["tea:true", "bare:false", "tea:true", "cup:false"])
    }

    func testImportListsEveryBadRowByLineAndAppliesNothing() throws {
        try product("tea", "Old title")
        let csv = Self.header + "\n" + """
            tea,Green tea,Fresh,tea,drinks,true,TEA-1,450,100,200,,
            cup,Cup,,,kitchen,true,CUP-1,abc,300,500,,
            pot,Teapot,"Cast iron,
            two lines",teapot,kitchen,true,POT-1,4900,1200,2000,,
            mug,Mug,,,kitchen,true,MUG-1,800,-5,100,12ab,
            bowl,Bowl,,,kitchen,maybe,BOWL-1,700,100,100,,ftp://cdn.test/bowl.jpg
            tea,Green tea,,,,,TEA-1,450,100,200,,
            Bad Handle,X,,,,true,X-1,1,1,1,,
            plate,Plate,,,Kitchen Ware,true,PLATE-1,100,1,1,,
            tea,Black tea,,,,,TEA-2,500,100,200,,
            spoon,Spoon,,,,true,SPOON-1,100,1,1,
            fork,Fork,,,,true,,100,,,,

            """
        let error = refusal("catalog.import", ["csv": .string(csv)])
        XCTAssertEqual(error?.code, .invalidInput)
        XCTAssertEqual(error?.message, """
            CSV import refused, nothing applied:
            line 3: price 'abc' is not a whole number of minor units
            line 6: weight_grams must be 0 or more grams, got -5
            line 6: barcode '12ab' is not valid: use 8 to 14 digits (EAN-8, UPC, EAN-13, GTIN-14)
            line 7: listed 'maybe' is not true or false
            line 7: image 'ftp://cdn.test/bowl.jpg' is not an http(s) URL such as https://example.com/tea.jpg
            line 8: SKU 'TEA-1' appears again (first on line 2); each SKU takes one row
            line 9: handle 'Bad Handle' is not valid: use 1-32 lower-case letters, digits, '-' or '_', starting with a letter
            line 10: tag 'Kitchen Ware' is not valid: use 1-32 lower-case letters, digits, '-' or '_', starting with a letter
            line 11: title differs from line 2 for handle 'tea'; repeat the first row's value or leave it blank
            line 12: has 11 fields, expected 12 (handle,title,description,keywords,tags,listed,sku,price,weight_grams,volume_cm3,barcode,images)
            line 13: price is given but sku is empty; a row without a SKU describes only its product
            """, "the quoted description over lines 4-5 moves every later row down one line")
        XCTAssertEqual(try productCount(), 1, "nothing was created")
        XCTAssertEqual(try run("catalog.product.show", ["handle": "tea"])["title"], "Old title", "nothing was updated")
        XCTAssertEqual(try run("catalog.sku.list", ["product": "tea"]), [])
        XCTAssertEqual(try audit("catalog:import"), [])

        // A SKU belongs to one product: the import may not move it.
        try sku("tea", "TEA-9", price: 1)
        XCTAssertEqual(refusal("catalog.import", ["csv": .string(Self.header + "\ncup,Cup,,,,true,TEA-9,1,1,1,,\n")])?.message, """
            CSV import refused, nothing applied:
            line 2: SKU 'TEA-9' belongs to product 'tea'; a SKU cannot move to product 'cup'
            """)
    }

    func testImportChecksTheHeaderAndTheCSVItself() throws {
        let wrong = "handle,title,desc,keywords,tags,listed,sku,price,weight_grams,volume_cm3,barcode,images,colour\ntea,Tea,,,,,,,,,,,\n"
        XCTAssertEqual(refusal("catalog.import", ["csv": .string(wrong)])?.message, """
            CSV import refused, nothing applied:
            line 1: the header must be exactly handle,title,description,keywords,tags,listed,sku,price,weight_grams,volume_cm3,barcode,images; \
            missing columns: description; unknown columns: 'desc', 'colour'
            """)
        let swapped = "title,handle,description,keywords,tags,listed,sku,price,weight_grams,volume_cm3,barcode,images\n"
        XCTAssertEqual(refusal("catalog.import", ["csv": .string(swapped)])?.message, """
            CSV import refused, nothing applied:
            line 1: the header must be exactly handle,title,description,keywords,tags,listed,sku,price,weight_grams,volume_cm3,barcode,images; \
            the columns are in another order
            """)
        XCTAssertEqual(refusal("catalog.import", ["csv": ""])?.message, """
            CSV import refused, nothing applied:
            the CSV is empty; its first line must be the header: handle,title,description,keywords,tags,listed,sku,price,weight_grams,volume_cm3,barcode,images
            """)
        XCTAssertEqual(refusal("catalog.import", ["csv": .string(Self.header + "\ntea,\"Tea,,,,,,,,,,,\n")])?.message, """
            CSV import refused, nothing applied:
            CSV line 2: a quoted field is never closed
            """)
        XCTAssertEqual(try run("catalog.import", ["csv": .string(Self.header + "\r\n")]),
                       ["products_created": 0, "products_updated": 0, "skus_created": 0, "skus_updated": 0], "a header alone imports nothing")
    }

    func testExportThenImportIntoAnotherShopGivesTheSameCatalog() throws {
        let csv = Self.header + "\n" + """
            zen,Zen tea,"Calm, ""quiet""
            and warm",zen|calm,drinks|organic,true,ZEN-2,900,80,150,,https://cdn.test/zen.jpg
            zen,Zen tea,,,,,ZEN-1,450,40,75,12345678,
            apple,Apple,,fruit,,false,APPLE,30,150,200,,
            empty,Nothing yet, padded ,,,false,,,,,,

            """
        try run("catalog.import", ["csv": .string(csv)])
        try product("bowl", "Bowl, large", keywords: ["bowl"])
        try sku("bowl", "BOWL-L", price: 2500, weight: 900, volume: 3000)
        try run("catalog.tag.add", ["product": "bowl", "tag": "kitchen"])
        let exported = try run("catalog.export", as: .auditor)["csv"]!.stringValue!
        XCTAssertEqual(exported, [
            Self.header,
            "apple,Apple,,fruit,,false,APPLE,30,150,200,,",
            "bowl,\"Bowl, large\",,bowl,kitchen,true,BOWL-L,2500,900,3000,,",
            "empty,Nothing yet,padded,,,false,,,,,,",
            "zen,Zen tea,\"Calm, \"\"quiet\"\"\nand warm\",zen|calm,drinks|organic,true,ZEN-1,450,40,75,12345678,https://cdn.test/zen.jpg",
            "zen,Zen tea,\"Calm, \"\"quiet\"\"\nand warm\",zen|calm,drinks|organic,true,ZEN-2,900,80,150,,https://cdn.test/zen.jpg",
        ].joined(separator: "\r\n") + "\r\n", "products by handle, SKUs by code, one row per SKU")

        _ = try harness.fixtureShop("south")
        XCTAssertEqual(try productCount(in: "south"), 0)
        XCTAssertEqual(try run("catalog.import", ["csv": .string(exported)], in: "south"),
                       ["products_created": 4, "products_updated": 0, "skus_created": 4, "skus_updated": 0])
        let again = try run("catalog.export", in: "south")["csv"]!.stringValue!
        XCTAssertEqual(again, exported)
        // And importing the export back into the shop it came from changes nothing.
        XCTAssertEqual(try run("catalog.import", ["csv": .string(exported)]),
                       ["products_created": 0, "products_updated": 4, "skus_created": 0, "skus_updated": 4])
        XCTAssertEqual(try run("catalog.export")["csv"]!.stringValue!, exported)
    }

    // MARK: Reviews

    func testReviewModerationRepliesAndAverageRating() throws {
        try product("tea", "Green tea")
        var ids: [Int64] = []
        for (customer, stars) in [("C-1", 5), ("C-2", 4), ("C-3", 1), ("C-4", 4)] {
            let review = try run("catalog.review.add", ["product": "tea", "customer_ref": .string(customer), "rating": .int(Int64(stars)),
                                                        "body": "Nice"], as: .clerk)
            XCTAssertEqual(review["status"], "pending")
            ids.append(review["id"]!.intValue!)
        }
        func rating() throws -> Value { try run("catalog.product.show", ["handle": "tea"])["rating"]! }
        XCTAssertEqual(try rating(), ["average": nil, "approved_reviews": 0], "pending reviews do not count")

        try run("catalog.review.moderate", ["review": .int(ids[0]), "decision": "approve"], as: .support)
        try run("catalog.review.moderate", ["review": .int(ids[1]), "decision": "approve"], as: .support)
        let rejected = try run("catalog.review.moderate", ["review": .int(ids[2]), "decision": "reject"])
        XCTAssertEqual(rejected["status"], "rejected")
        XCTAssertEqual(rejected["moderated_by"], "manager@north.test")
        XCTAssertEqual(try rating(), ["average": "4.5", "approved_reviews": 2])
        try run("catalog.review.moderate", ["review": .int(ids[3]), "decision": "approve"])
        XCTAssertEqual(try rating(), ["average": "4.3", "approved_reviews": 3], "13 / 3 to one decimal")

        let again = refusal("catalog.review.moderate", ["review": .int(ids[2]), "decision": "approve"])
        XCTAssertEqual(again?.code, .conflict)
        XCTAssertEqual(again?.message, "review \(ids[2]) is already rejected; only pending reviews can be moderated")
        XCTAssertEqual(refusal("catalog.review.moderate", ["review": .int(ids[0]), "decision": "maybe"])?.message,
                       "decision must be approve or reject, got 'maybe'")
        XCTAssertEqual(refusal("catalog.review.moderate", ["review": .int(ids[0]), "decision": "approve"], as: .clerk)?.message,
                       "clerk@north.test lacks permission 'catalog.review.moderate' in shop 'north'")
        XCTAssertEqual(refusal("catalog.review.add", ["product": "tea", "customer_ref": "C-5", "rating": 6])?.message,
                       "rating must be 1 to 5 stars, got 6")
        XCTAssertEqual(refusal("catalog.review.add", ["product": "tea", "customer_ref": "C-5", "rating": 5], as: .warehouse)?.code,
                       .permissionDenied)

        let replied = try run("catalog.review.reply", ["review": .int(ids[0]), "body": "Thank you!"], as: .support)
        XCTAssertEqual(replied["reply"]?["body"], "Thank you!")
        XCTAssertEqual(replied["reply"]?["by"], "support@north.test")
        XCTAssertEqual(refusal("catalog.review.reply", ["review": .int(ids[0]), "body": "Again"])?.message,
                       "review \(ids[0]) already has a reply; the shop replies once")
        XCTAssertEqual(refusal("catalog.review.reply", ["review": 99, "body": "Hello"])?.message, "no review 99 in this shop")

        let approved = try run("catalog.review.list", ["product": "tea", "status": "approved"], as: .auditor)
        XCTAssertEqual(approved["items"]?.arrayValue?.map { $0["id"]! }, [.int(ids[3]), .int(ids[1]), .int(ids[0])], "newest first")
        XCTAssertEqual(try run("catalog.review.list", ["status": "pending"])["items"], [])
        XCTAssertEqual(refusal("catalog.review.list", ["status": "open"])?.message, "status must be pending, approved or rejected, got 'open'")
        XCTAssertEqual(try audit("review:\(ids[2])")[0]["change"], ["status": ["from": "pending", "to": "rejected"]])
    }

    // MARK: Checkout pricing

    func testPricingFilterPricesLinesAndRefusesBadOnes() throws {
        let tea = try product("tea", "Green tea")
        try sku("tea", "TEA-1", price: 450, weight: 100, volume: 200)
        try product("cup", "Cup", listed: false)
        try sku("cup", "CUP-1", price: 1200)

        let line = try run("probe.price", ["sku": "TEA-1", "quantity": 2], as: .clerk)
        XCTAssertEqual(line, ["sku": "TEA-1", "title": "Green tea", "product_id": .int(tea),
                              "unit_price": ["amount": 450, "currency": "EUR", "display": "4.50 EUR"],
                              "weight_grams": 100, "volume_cm3": 200,
                              "line_total": ["amount": 900, "currency": "EUR", "display": "9.00 EUR"]])

        let unknown = refusal("probe.price", ["sku": "NOPE", "quantity": 1], as: .clerk)
        XCTAssertEqual(unknown?.message, "unknown SKU 'NOPE'")
        XCTAssertEqual(unknown?.field, "sku")
        XCTAssertEqual(refusal("probe.price", ["sku": "CUP-1", "quantity": 1], as: .clerk)?.message,
                       "product 'Cup' (SKU CUP-1) is not listed")
        let zero = refusal("probe.price", ["sku": "TEA-1", "quantity": 0], as: .clerk)
        XCTAssertEqual(zero?.message, "quantity of SKU TEA-1 must be at least 1, got 0")
        XCTAssertEqual(zero?.field, "quantity")
        XCTAssertEqual(refusal("probe.price", ["sku": "TEA-1", "quantity": -3], as: .clerk)?.message,
                       "quantity of SKU TEA-1 must be at least 1, got -3")

        // Prices stay in the currency they were set in: after the shop switches to USD,
        // checkout refuses the EUR price instead of reading 4.50 EUR as 4.50 USD.
        try run("shop.update", ["currency": "USD"], as: .owner)
        contexts = [:]  // a context carries the shop's currency of when it was made
        let usd = try ctx(.clerk)
        XCTAssertThrowsError(try kernel.perform("probe.price", input: ["sku": "TEA-1", "quantity": 1], context: usd)) {
            XCTAssertEqual(($0 as? KernelError)?.message, "SKU TEA-1 is priced in EUR but the cart is in USD")
        }
        try run("catalog.sku.update", ["code": "TEA-1", "price": 500])  // re-priced in the shop's currency now
        XCTAssertEqual(try kernel.perform("probe.price", input: ["sku": "TEA-1", "quantity": 1], context: usd)["unit_price"],
                       ["amount": 500, "currency": "USD", "display": "5.00 USD"])
    }

    /// Checkout prices SKUs through the writer's memo: every catalog change, listing window,
    /// rollback and change by another connection must show at the next checkout.
    func testCheckoutPricingSeesEveryCatalogChangeAtOnce() throws {
        try product("tea", "Green tea")
        try sku("tea", "TEA-1", price: 450)
        func price(_ code: String = "TEA-1") throws -> Value? {
            try run("probe.price_in_write", ["sku": .string(code), "quantity": 1], as: .clerk)["unit_price"]?["amount"]
        }
        XCTAssertEqual(try price(), 450)
        XCTAssertEqual(try price(), 450)
        try run("catalog.sku.update", ["code": "TEA-1", "price": 480])
        XCTAssertEqual(try price(), 480)
        try run("catalog.product.update", ["handle": "tea", "title": "Sencha"])
        XCTAssertEqual(try run("probe.price_in_write", ["sku": "TEA-1", "quantity": 1], as: .clerk)["title"], "Sencha")
        try run("catalog.product.unpublish", ["handle": "tea"])
        XCTAssertEqual(refusal("probe.price_in_write", ["sku": "TEA-1", "quantity": 1], as: .clerk)?.message,
                       "product 'Sencha' (SKU TEA-1) is not listed")
        try run("catalog.product.publish", ["handle": "tea"])
        XCTAssertEqual(try price(), 480)
        // A listing window ends with no write at all: checked at use, not remembered.
        try run("catalog.product.schedule", ["handle": "tea", "unlist_at": "2027-01-15T09:00:00Z"])
        XCTAssertEqual(try price(), 480)
        harness.clock.advance(by: 3600)
        XCTAssertEqual(refusal("probe.price_in_write", ["sku": "TEA-1", "quantity": 1], as: .clerk)?.message,
                       "product 'Sencha' (SKU TEA-1) is not listed")
        try run("catalog.product.publish", ["handle": "tea"])
        // An unknown SKU is refused until it is added.
        XCTAssertEqual(refusal("probe.price_in_write", ["sku": "CUP-1", "quantity": 1], as: .clerk)?.message, "unknown SKU 'CUP-1'")
        try product("cup", "Cup")
        try sku("cup", "CUP-1", price: 1200)
        XCTAssertEqual(try price("CUP-1"), 1200)
        // Another connection (as another process would) changes the price behind the kernel's
        // back, right after checkout priced it (and so remembered it).
        XCTAssertEqual(try price(), 480)
        let other = try Store(path: kernel.store.path)
        try other.write { try $0.execute("UPDATE catalog_skus SET price = 999 WHERE code = 'TEA-1'") }
        XCTAssertEqual(try price(), 999)
    }

    // MARK: Permissions and shops

    func testOnlyManagersImport() throws {
        let csv = Self.header + "\ntea,Tea,,,,true,TEA-1,450,,,,\n"
        let denied = refusal("catalog.import", ["csv": .string(csv)], as: .clerk)
        XCTAssertEqual(denied?.code, .permissionDenied)
        XCTAssertEqual(denied?.message, "clerk@north.test lacks permission 'catalog.import' in shop 'north'")
        XCTAssertEqual(try productCount(), 0)
        let refusals = try run("audit.list", ["outcome": "denied", "operation": "catalog.import"])["items"]!.arrayValue!
        XCTAssertEqual(refusals.count, 1, "the refusal is audited")
        try run("catalog.import", ["csv": .string(csv)], as: .manager)
        XCTAssertEqual(try productCount(), 1)
        for role in [BuiltInRole.warehouse, .finance, .support, .auditor, .clerk] {
            XCTAssertEqual(try run("catalog.export", as: role)["csv"]?.stringValue?.hasPrefix(Self.header), true, "\(role) reads the catalog")
        }
    }

    func testShopsAreIsolated() throws {
        let northTea = try product("tea", "Green tea")
        try sku("tea", "TEA-1", price: 450)
        _ = try harness.fixtureShop("south")
        let southFood = try run("catalog.category.create", ["name": "Food"], in: "south")["id"]!

        XCTAssertEqual(refusal("probe.price", ["sku": "TEA-1", "quantity": 1], as: .clerk, in: "south")?.message, "unknown SKU 'TEA-1'")
        XCTAssertEqual(try productCount(in: "south"), 0)
        XCTAssertEqual(refusal("catalog.product.show", ["id": .int(northTea)], in: "south")?.message, "no product \(northTea) in this shop")
        XCTAssertEqual(refusal("catalog.category.create", ["name": "Bread", "parent": southFood])?.message,
                       "no category \(southFood.intValue!) in this shop to be the parent", "a parent from another shop is unknown here")
        XCTAssertEqual(refusal("catalog.category.assign", ["product": "tea", "category": southFood])?.message,
                       "no category \(southFood.intValue!) in this shop")

        // Handles and SKU codes are unique per shop, not across shops.
        try product("tea", "Tea of the south", in: "south")
        try sku("tea", "TEA-1", price: 990, in: "south")
        XCTAssertEqual(try run("probe.price", ["sku": "TEA-1", "quantity": 1], as: .clerk, in: "south")["title"], "Tea of the south")
        XCTAssertEqual(try run("probe.price", ["sku": "TEA-1", "quantity": 1], as: .clerk)["title"], "Green tea")
        XCTAssertFalse(try run("catalog.export")["csv"]!.stringValue!.contains("south"))
    }
}
