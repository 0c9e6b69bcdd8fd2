import XCTest
import Kernel
import KernelTesting
import Orders
import Shipping

final class ShippingTests: XCTestCase {
    var harness: KernelHarness!
    var shop: FixtureShop!
    var kernel: Kernel { harness.kernel }

    override func setUpWithError() throws {
        harness = try KernelHarness(plugins: [TablePricing(), OrdersPlugin(), ShippingPlugin()])
        shop = try harness.fixtureShop("north")
    }

    // MARK: Helpers

    func ctx(_ role: BuiltInRole) throws -> OperationContext { try harness.context(as: shop.email(role), shop: shop.code) }

    @discardableResult
    func run(_ operation: String, _ input: Value.Object = [:], as role: BuiltInRole = .manager) throws -> Value {
        try kernel.perform(operation, input: input, context: try ctx(role))
    }

    /// Asserts that `body` throws a `KernelError` with `message` (and `code` when given).
    func assertRefused(_ body: @autoclosure () throws -> Value, _ message: String, code: ErrorCode? = nil,
                       file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), message, file: file, line: line) { error in
            guard let error = error as? KernelError else { return XCTFail("not a KernelError: \(error)", file: file, line: line) }
            XCTAssertEqual(error.message, message, file: file, line: line)
            if let code { XCTAssertEqual(error.code, code, file: file, line: line) }
        }
    }

    func count(_ table: String) throws -> Int {
        try kernel.store.read { try $0.query("SELECT COUNT(*) AS n FROM \(table)")[0].int("n") }
    }

    @discardableResult
    func place(_ lines: [Value], attributes: [Value] = ["shipping_method=express"], destination: [Value] = ["country=FR"]) throws -> Value {
        try run("orders.place", ["lines": .array(lines), "attributes": .array(attributes), "destination": .array(destination)], as: .clerk)
    }

    func quote(_ input: Value.Object) throws -> Value { try run("shipping.quote", input, as: .clerk) }

    /// The weight template of the brief: first 1000 g 5.00, each additional 500 g 1.50.
    func makeWeightTemplate(_ code: Value = "parcel", freeOver: Int64? = nil) throws {
        var input: Value.Object = ["code": code, "name": "Parcel by weight", "basis": "weight"]
        if let freeOver { input["free_over"] = .int(freeOver) }
        try run("shipping.template.create", input)
        try run("shipping.template.rule.add", ["template": code, "country": "FR", "first_units": 1000, "first_fee": 500,
                                               "additional_units": 500, "additional_fee": 150])
    }

    /// A count template (first item 3.00, each further item 1.00) and the express method using it.
    func makeExpress(freeOver: Int64? = nil) throws {
        var input: Value.Object = ["code": "std", "name": "Standard by count", "basis": "count"]
        if let freeOver { input["free_over"] = .int(freeOver) }
        try run("shipping.template.create", input)
        try run("shipping.template.rule.add", ["template": "std", "country": "FR", "first_units": 1, "first_fee": 300,
                                               "additional_units": 1, "additional_fee": 100])
        try run("shipping.method.configure", ["code": "express", "name": "Express", "kind": "express", "template": "std"])
    }

    func makePaidOrder(_ lines: [Value]) throws -> String {
        try makeExpress()
        try run("shipping.carrier.add", ["code": "laposte", "name": "La Poste", "tracking_url": "https://track.example/{tracking}"])
        let number = try XCTUnwrap(try place(lines)["number"])
        try run("orders.pay", ["order": number], as: .finance)
        return number.stringValue!
    }

    // MARK: Quotes

    func testWeightQuoteChargesTheFirstBlockThenEachStartedAdditionalBlock() throws {
        try makeWeightTemplate()
        let heavy = try quote(["template": "parcel", "weight_grams": 2300, "country": "FR"])
        XCTAssertEqual(heavy["fee"]?["amount"], 950)
        XCTAssertEqual(heavy["explanation"], "weight 2300 g: first 1000 g 5.00 EUR + 3 × 500 g × 1.50 EUR = 9.50 EUR (rule FR default)")
        XCTAssertEqual(heavy["rule"], "FR default")
        let exact = try quote(["template": "parcel", "weight_grams": 1500, "country": "fr"])
        XCTAssertEqual(exact["explanation"], "weight 1500 g: first 1000 g 5.00 EUR + 1 × 500 g × 1.50 EUR = 6.50 EUR (rule FR default)")
        let light = try quote(["template": "parcel", "weight_grams": 1000, "country": "FR"])
        XCTAssertEqual(light["fee"]?["amount"], 500)
        XCTAssertEqual(light["explanation"], "weight 1000 g: first 1000 g 5.00 EUR = 5.00 EUR (rule FR default)")
    }

    func testCountAndVolumeQuotes() throws {
        try makeExpress()
        let three = try quote(["template": "std", "count": 3, "country": "FR"])
        XCTAssertEqual(three["fee"]?["amount"], 500)
        XCTAssertEqual(three["explanation"], "count 3 items: first 1 item 3.00 EUR + 2 × 1 item × 1.00 EUR = 5.00 EUR (rule FR default)")
        let byMethod = try quote(["method": "express", "count": 1, "country": "FR"])
        XCTAssertEqual(byMethod["explanation"], "count 1 item: first 1 item 3.00 EUR = 3.00 EUR (rule FR default)")
        XCTAssertEqual(byMethod["method"], "express")
        XCTAssertEqual(byMethod["template"], "std")

        try run("shipping.template.create", ["code": "bulky", "name": "Bulky", "basis": "volume"])
        try run("shipping.template.rule.add", ["template": "bulky", "country": "DE", "first_units": 10000, "first_fee": 800,
                                               "additional_units": 5000, "additional_fee": 200])
        XCTAssertEqual(try quote(["template": "bulky", "volume_cm3": 20001, "country": "DE"])["explanation"],
                       "volume 20001 cm³: first 10000 cm³ 8.00 EUR + 3 × 5000 cm³ × 2.00 EUR = 14.00 EUR (rule DE default)")
    }

    func testValueRangesChargeTheFeeOfTheRangeTheSubtotalFallsIn() throws {
        try run("shipping.template.create", ["code": "byvalue", "name": "By order value", "basis": "value"])
        try run("shipping.template.rule.add", ["template": "byvalue", "country": "FR", "max_value": 3000, "fee": 600])
        try run("shipping.template.rule.add", ["template": "byvalue", "country": "FR", "min_value": 3000, "max_value": 6000, "fee": 400])
        try run("shipping.template.rule.add", ["template": "byvalue", "country": "FR", "min_value": 6000, "fee": 0])
        let cases: [(Int64, Int64, String)] = [
            (2999, 600, "value 29.99 EUR: range 0.00 EUR to under 30.00 EUR = 6.00 EUR (rule FR default)"),
            (3000, 400, "value 30.00 EUR: range 30.00 EUR to under 60.00 EUR = 4.00 EUR (rule FR default)"),
            (4500, 400, "value 45.00 EUR: range 30.00 EUR to under 60.00 EUR = 4.00 EUR (rule FR default)"),
            (70000, 0, "value 700.00 EUR: range 60.00 EUR and over = 0.00 EUR (rule FR default)"),
        ]
        for (value, fee, explanation) in cases {
            let result = try quote(["template": "byvalue", "value": .int(value), "country": "FR"])
            XCTAssertEqual(result["fee"]?["amount"], .int(fee), "value \(value)")
            XCTAssertEqual(result["explanation"], .string(explanation))
        }
        let shown = try run("shipping.template.show", ["template": "byvalue"], as: .auditor)
        XCTAssertEqual(shown["rules"]?.arrayValue?.map { $0["summary"] ?? .null },
                       ["0.00 EUR to under 30.00 EUR: 6.00 EUR", "30.00 EUR to under 60.00 EUR: 4.00 EUR", "60.00 EUR and over: 0.00 EUR"])
    }

    func testFreeOverThresholdMakesShippingFree() throws {
        try makeWeightTemplate(freeOver: 5000)
        let free = try quote(["template": "parcel", "weight_grams": 2300, "value": 5000, "country": "FR"])
        XCTAssertEqual(free["fee"]?["amount"], 0)
        XCTAssertEqual(free["explanation"], "value 50.00 EUR: free shipping from 50.00 EUR = 0.00 EUR (rule FR default)")
        let below = try quote(["template": "parcel", "weight_grams": 2300, "value": 4999, "country": "FR"])
        XCTAssertEqual(below["fee"]?["amount"], 950)
    }

    func testMostSpecificRegionRuleWins() throws {
        try makeWeightTemplate()
        try run("shipping.template.rule.add", ["template": "parcel", "country": "FR", "region": "IDF", "first_units": 1000,
                                               "first_fee": 400, "additional_units": 500, "additional_fee": 100])
        try run("shipping.template.rule.add", ["template": "parcel", "country": "FR", "region": "IDF", "city": "PAR",
                                               "first_units": 2000, "first_fee": 300, "additional_units": 1000, "additional_fee": 50])
        XCTAssertEqual(try quote(["template": "parcel", "weight_grams": 2300, "country": "FR", "region": "idf"])["explanation"],
                       "weight 2300 g: first 1000 g 4.00 EUR + 3 × 500 g × 1.00 EUR = 7.00 EUR (rule FR IDF)")
        XCTAssertEqual(try quote(["template": "parcel", "weight_grams": 2300, "country": "FR", "region": "IDF", "city": "PAR"])["explanation"],
                       "weight 2300 g: first 2000 g 3.00 EUR + 1 × 1000 g × 0.50 EUR = 3.50 EUR (rule FR IDF PAR)")
        XCTAssertEqual(try quote(["template": "parcel", "weight_grams": 2300, "country": "FR", "region": "OCC", "city": "PAR"])["rule"],
                       "FR default", "a city rule applies only inside its region")
    }

    func testOutsidePolicyRefusesOrChargesAFlatFee() throws {
        try makeWeightTemplate()
        assertRefused(try quote(["template": "parcel", "weight_grams": 100, "country": "US"]), "no shipping to US", code: .invalidInput)

        try run("shipping.template.create", ["code": "world", "name": "World", "basis": "weight", "outside": "flat", "outside_fee": 2000])
        try run("shipping.template.rule.add", ["template": "world", "country": "FR", "first_units": 1000, "first_fee": 500,
                                               "additional_units": 500, "additional_fee": 150])
        let flat = try quote(["template": "world", "weight_grams": 100, "country": "US"])
        XCTAssertEqual(flat["fee"]?["amount"], 2000)
        XCTAssertEqual(flat["explanation"], "no rule covers US: flat fee 20.00 EUR (outside policy)")
        XCTAssertEqual(flat["rule"], .null)

        try run("shipping.template.create", ["code": "small", "name": "Small orders", "basis": "value"])
        try run("shipping.template.rule.add", ["template": "small", "country": "FR", "max_value": 5000, "fee": 300])
        assertRefused(try quote(["template": "small", "value": 6000, "country": "FR"]),
                      "no shipping to FR: value 60.00 EUR is outside every range of rule FR default")
    }

    // MARK: Validation

    func testBadTemplatesAndRulesAreRefusedWithNothingWritten() throws {
        try run("shipping.template.create", ["code": "byvalue", "name": "By value", "basis": "value"])
        try run("shipping.template.rule.add", ["template": "byvalue", "country": "FR", "min_value": 3000, "max_value": 6000, "fee": 400])
        try makeWeightTemplate()
        let rules = try count("shipping_rules")
        let templates = try count("shipping_templates")
        let ruleCases: [(Value.Object, String)] = [
            (["template": "byvalue", "country": "FR", "min_value": 5000, "max_value": 8000, "fee": 300],
             "value range 50.00 EUR to under 80.00 EUR overlaps range 30.00 EUR to under 60.00 EUR of rule FR default in template 'byvalue'"),
            (["template": "byvalue", "country": "FR", "min_value": 1000, "fee": 300],
             "value range 10.00 EUR and over overlaps range 30.00 EUR to under 60.00 EUR of rule FR default in template 'byvalue'"),
            (["template": "byvalue", "country": "FR", "max_value": 3000, "fee": -1], "fee must not be negative, got -1"),
            (["template": "byvalue", "country": "FR", "min_value": 6000, "max_value": 6000, "fee": 1],
             "max_value (60.00 EUR) must be above min_value (60.00 EUR)"),
            (["template": "byvalue", "country": "FR", "first_units": 1, "fee": 1],
             "template 'byvalue' charges by value (min_value, max_value, fee); first_units is for weight, volume and count templates"),
            (["template": "parcel", "country": "DE", "first_units": 1000, "first_fee": -500, "additional_units": 500, "additional_fee": 150],
             "first_fee must not be negative, got -500"),
            (["template": "parcel", "country": "DE", "first_units": 1000, "first_fee": 500, "additional_units": 0, "additional_fee": 150],
             "additional_units must be at least 1, got 0"),
            (["template": "parcel", "country": "DE", "first_units": 1000, "first_fee": 500, "additional_units": 500],
             "missing additional_fee: template 'parcel' charges by weight (first_units, first_fee, additional_units, additional_fee)"),
            (["template": "parcel", "country": "FRA", "first_units": 1, "first_fee": 1, "additional_units": 1, "additional_fee": 1],
             "'FRA' is not a 2-letter country code (e.g. FR)"),
            (["template": "parcel", "country": "FR", "city": "PAR", "first_units": 1, "first_fee": 1, "additional_units": 1, "additional_fee": 1],
             "city PAR needs its region too (region=...)"),
            (["template": "parcel", "country": "FR", "first_units": 1, "first_fee": 1, "additional_units": 1, "additional_fee": 1],
             "template 'parcel' already has a rule for FR default"),
            (["template": "nope", "country": "FR", "fee": 1], "no shipping fee template 'nope' in this shop"),
        ]
        for (input, message) in ruleCases { assertRefused(try run("shipping.template.rule.add", input), message) }
        let templateCases: [(Value.Object, String)] = [
            (["code": "t", "name": "T", "basis": "distance"], "'distance' is not a basis: use weight, volume, count or value"),
            (["code": "t", "name": "T", "basis": "weight", "free_over": -100], "free_over must not be negative, got -100"),
            (["code": "t", "name": "T", "basis": "weight", "outside": "flat"], "outside=flat needs outside_fee (the flat fee in minor units)"),
            (["code": "t", "name": "T", "basis": "weight", "outside": "flat", "outside_fee": -5], "outside_fee must not be negative, got -5"),
            (["code": "t", "name": "T", "basis": "weight", "outside_fee": 5], "outside_fee applies only with outside=flat"),
            (["code": "parcel", "name": "T", "basis": "weight"], "shipping fee template 'parcel' already exists"),
        ]
        for (input, message) in templateCases { assertRefused(try run("shipping.template.create", input), message) }
        XCTAssertEqual(try count("shipping_rules"), rules, "refused rules write nothing")
        XCTAssertEqual(try count("shipping_templates"), templates, "refused templates write nothing")

        assertRefused(try run("shipping.method.configure", ["code": "express", "name": "Express", "kind": "express"]),
                      "method 'express' (express) needs a fee template: pass template=CODE")
        assertRefused(try run("shipping.method.configure", ["code": "shop", "name": "Pickup", "kind": "pickup", "template": "parcel"]),
                      "pickup is free: method 'shop' takes no fee template")
        assertRefused(try run("shipping.method.configure", ["code": "drone", "name": "Drone", "kind": "drone", "template": "parcel"]),
                      "'drone' is not a delivery method kind: use pickup, express, same_day or standard")
        XCTAssertEqual(try count("shipping_methods"), 0)
    }

    func testMethodsAreUpsertedAndAudited() throws {
        try makeExpress()
        try makeWeightTemplate()
        let updated = try run("shipping.method.configure", ["code": "express", "template": "parcel", "enabled": false])
        XCTAssertEqual(updated, ["code": "express", "name": "Express", "kind": "express", "enabled": false, "template": "parcel"])
        try run("shipping.method.configure", ["code": "shop", "name": "Pick up in store", "kind": "pickup"])
        XCTAssertEqual(try run("shipping.method.list", as: .warehouse).arrayValue?.map { $0["code"] ?? .null }, ["express", "shop"])
        XCTAssertEqual(try run("shipping.method.list", ["enabled": true], as: .warehouse).arrayValue?.map { $0["code"] ?? .null }, ["shop"])
        let audit = try run("audit.list", ["operation": "shipping.method.configure"], as: .owner)["items"]?.arrayValue ?? []
        XCTAssertEqual(audit.count, 3)
        let change = try XCTUnwrap(audit.first { $0["entity"] == "shipping_method:express" && $0["change"]?["before"] != .null }?["change"])
        XCTAssertEqual(change["before"]?["template"], "std")
        XCTAssertEqual(change["after"]?["template"], "parcel")
        XCTAssertEqual(change["after"]?["enabled"], false)
    }

    // MARK: Checkout

    func testCheckoutAddsTheShippingAdjustmentAndTheTotalIncludesIt() throws {
        try makeExpress()
        let order = try place(["TEA:2", "CUP:1"])
        XCTAssertEqual(order["shipping"]?["amount"], 500)
        XCTAssertEqual(order["total"]?["amount"], .int(900 + 1200 + 500))
        let adjustment = try XCTUnwrap(order["adjustments"]?.arrayValue?.first { $0["kind"] == "shipping" })
        XCTAssertEqual(adjustment["code"], "shipping")
        XCTAssertEqual(adjustment["label"], "Express: count 3 items: first 1 item 3.00 EUR + 2 × 1 item × 1.00 EUR = 5.00 EUR (rule FR default)")
        XCTAssertEqual(adjustment["amount"]?["amount"], 500)

        let unshipped = try run("orders.place", ["lines": ["TEA:1"]], as: .clerk)
        XCTAssertEqual(unshipped["shipping"]?["amount"], 0, "no shipping_method, no shipping adjustment")
        XCTAssertEqual(unshipped["adjustments"], [])

        try run("shipping.method.configure", ["code": "shop", "name": "Pick up in store", "kind": "pickup"])
        let pickup = try place(["TEA:1"], attributes: ["shipping_method=shop"], destination: [])
        XCTAssertEqual(pickup["shipping"]?["amount"], 0)
        XCTAssertEqual(pickup["adjustments"]?.arrayValue?.first?["label"], "Pick up in store: pickup, no shipping fee = 0.00 EUR")
    }

    func testCheckoutFreeOverAndValueTemplates() throws {
        try makeExpress(freeOver: 5000)
        let free = try place(["POT:2"])
        XCTAssertEqual(free["shipping"]?["amount"], 0)
        XCTAssertEqual(free["total"]?["amount"], 6666)
        XCTAssertEqual(free["adjustments"]?.arrayValue?.first?["label"], "Express: value 66.66 EUR: free shipping from 50.00 EUR = 0.00 EUR (rule FR default)")

        try run("shipping.template.create", ["code": "byvalue", "name": "By value", "basis": "value"])
        try run("shipping.template.rule.add", ["template": "byvalue", "country": "FR", "max_value": 3000, "fee": 600])
        try run("shipping.template.rule.add", ["template": "byvalue", "country": "FR", "min_value": 3000, "fee": 250])
        try run("shipping.method.configure", ["code": "standard", "name": "Standard", "kind": "standard", "template": "byvalue"])
        let cheap = try place(["TEA:2"], attributes: ["shipping_method=standard"])
        XCTAssertEqual(cheap["shipping"]?["amount"], 600)
        XCTAssertEqual(cheap["total"]?["amount"], 1500)
        let dear = try place(["POT:1"], attributes: ["shipping_method=standard"])
        XCTAssertEqual(dear["total"]?["amount"], .int(3333 + 250))
    }

    func testCheckoutRefusalsWriteNoOrder() throws {
        try makeExpress()
        try run("shipping.method.configure", ["code": "slow", "name": "Slow", "kind": "standard", "template": "std", "enabled": false])
        assertRefused(try place(["TEA:1"], destination: ["country=US"]), "no shipping to US with Express", code: .invalidInput)
        assertRefused(try place(["TEA:1"], attributes: ["shipping_method=drone"]),
                      "no shipping method 'drone' in this shop (see shipping.method.list)")
        assertRefused(try place(["TEA:1"], attributes: ["shipping_method=slow"]), "shipping method 'slow' is disabled; choose another")
        assertRefused(try place(["TEA:1"], destination: []), "shipping method 'express' needs a destination country (country=FR)")
        XCTAssertEqual(try count("orders_orders"), 0)
    }

    // MARK: Slots

    func testSlotCapacityIsNeverExceededAndAFullSlotRollsTheOrderBack() throws {
        try makeExpress()
        assertRefused(try run("shipping.slot.add", ["method": "express", "starts_at": "2027-01-16T12:00:00Z",
                                                    "ends_at": "2027-01-16T09:00:00Z", "capacity": 1]),
                      "the slot must end after it starts (starts 2027-01-16T12:00:00Z, ends 2027-01-16T09:00:00Z)")
        assertRefused(try run("shipping.slot.add", ["method": "express", "starts_at": "2027-01-16T09:00:00Z",
                                                    "ends_at": "2027-01-16T12:00:00Z", "capacity": 0]),
                      "capacity must be at least 1, got 0")
        XCTAssertEqual(try count("shipping_slots"), 0)
        let slot = try run("shipping.slot.add", ["method": "express", "starts_at": "2027-01-16T09:00:00Z",
                                                 "ends_at": "2027-01-16T12:00:00Z", "capacity": 1])
        let id = try XCTUnwrap(slot["id"]?.intValue)
        XCTAssertEqual(slot["remaining"], 1)

        let first = try place(["TEA:1"], attributes: ["shipping_method=express", .string("slot=\(id)")])
        XCTAssertEqual(try run("shipping.slot.list", as: .clerk).arrayValue?.first?["remaining"], 0)
        assertRefused(try place(["CUP:1"], attributes: ["shipping_method=express", .string("slot=\(id)")]),
                      "delivery slot \(id) is full", code: .conflict)
        XCTAssertEqual(try count("orders_orders"), 1, "the refused order is not written")
        XCTAssertEqual(try count("shipping_slot_bookings"), 1)

        // Cancelling the booked order gives the place back.
        try run("orders.cancel", ["order": first["number"]!], as: .clerk)
        XCTAssertEqual(try run("shipping.slot.list", as: .clerk).arrayValue?.first?["remaining"], 1)
        XCTAssertEqual(try place(["CUP:1"], attributes: ["shipping_method=express", .string("slot=\(id)")])["number"], "NORTH-1002")
    }

    func testSlotMustBelongToTheMethodAndBeInTheFuture() throws {
        try makeExpress()
        try run("shipping.method.configure", ["code": "shop", "name": "Pickup", "kind": "pickup"])
        let past = try run("shipping.slot.add", ["method": "express", "starts_at": "2027-01-14T09:00:00Z",
                                                 "ends_at": "2027-01-14T12:00:00Z", "capacity": 5])
        let pickup = try run("shipping.slot.add", ["method": "shop", "starts_at": "2027-01-16T09:00:00Z",
                                                   "ends_at": "2027-01-16T12:00:00Z", "capacity": 5])
        assertRefused(try place(["TEA:1"], attributes: ["shipping_method=express", .string("slot=\(pickup["id"]!.intValue!)")]),
                      "delivery slot 2 is for shipping method 'shop' but the order asks for 'express'")
        assertRefused(try place(["TEA:1"], attributes: ["shipping_method=express", .string("slot=\(past["id"]!.intValue!)")]),
                      "delivery slot 1 started at 2027-01-14T09:00:00Z; choose a later slot")
        assertRefused(try place(["TEA:1"], attributes: ["shipping_method=express", "slot=99"]), "no delivery slot 99 in this shop")
        XCTAssertEqual(try count("orders_orders"), 0)
        XCTAssertEqual(try run("shipping.slot.list", ["past": true], as: .auditor).arrayValue?.count, 2)
        XCTAssertEqual(try run("shipping.slot.list", as: .auditor).arrayValue?.map { $0["id"] ?? .null }, [2])
    }

    // MARK: Shipments

    func testPartialShipmentsMoveTheOrderAndNeverShipMoreThanOrdered() throws {
        let number = try makePaidOrder(["TEA:2", "CUP:1"])
        let first = try run("shipping.shipment.create", ["order": .string(number), "carrier": "laposte", "tracking": "LP001",
                                                         "lines": ["TEA:1"]], as: .warehouse)
        XCTAssertEqual(first["order_status"], "shipped")
        XCTAssertEqual(first["lines"], [["sku": "TEA", "quantity": 1]])
        XCTAssertEqual(first["tracking_url"], "https://track.example/LP001")
        XCTAssertEqual(try run("orders.show", ["order": .string(number)], as: .clerk)["status"], "shipped")
        let history = try run("orders.history", ["order": .string(number)], as: .auditor).arrayValue ?? []
        XCTAssertEqual(history.last?["to"], "shipped")
        XCTAssertEqual(history.last?["reason"], "shipment 1: laposte LP001")

        assertRefused(try run("shipping.shipment.create", ["order": .string(number), "carrier": "laposte", "tracking": "LP002",
                                                           "lines": ["TEA:2"]], as: .warehouse),
                      "SKU TEA: 2 requested but only 1 left to ship on order \(number) (2 ordered, 1 shipped)")
        assertRefused(try run("shipping.shipment.create", ["order": .string(number), "carrier": "laposte", "tracking": "LP002",
                                                           "lines": ["MUG:1"]], as: .warehouse),
                      "order \(number) has no SKU 'MUG'")
        assertRefused(try run("shipping.shipment.create", ["order": .string(number), "carrier": "laposte", "tracking": "LP001"],
                              as: .warehouse),
                      "carrier 'laposte' tracking number LP001 is already shipment 1")
        XCTAssertEqual(try count("shipping_shipments"), 1)

        let rest = try run("shipping.shipment.create", ["order": .string(number), "carrier": "laposte", "tracking": "LP002"], as: .warehouse)
        XCTAssertEqual(rest["lines"], [["sku": "TEA", "quantity": 1], ["sku": "CUP", "quantity": 1]])
        XCTAssertEqual(rest["order_status"], "shipped")
        assertRefused(try run("shipping.shipment.create", ["order": .string(number), "carrier": "laposte", "tracking": "LP003"],
                              as: .warehouse),
                      "order \(number) has nothing left to ship", code: .conflict)

        let listed = try run("shipping.shipment.list", ["order": .string(number)], as: .support)
        XCTAssertEqual(listed["shipments"]?.arrayValue?.map { $0["tracking"] ?? .null }, ["LP001", "LP002"])
        XCTAssertEqual(listed["items"]?.arrayValue?.map { $0["remaining"] ?? .null }, [0, 0])

        let audit = try run("audit.list", ["operation": "shipping.shipment.create"], as: .owner)["items"]?.arrayValue ?? []
        XCTAssertEqual(audit.first { $0["entity"] == "shipment:1" }?["change"]?["lines"], ["TEA:1"])
    }

    func testOnlyPaidOrShippedOrdersShip() throws {
        try makeExpress()
        try run("shipping.carrier.add", ["code": "laposte", "name": "La Poste", "tracking_url": "https://track.example/{tracking}"])
        let number = try XCTUnwrap(try place(["TEA:1"])["number"])
        assertRefused(try run("shipping.shipment.create", ["order": number, "carrier": "laposte", "tracking": "LP1"], as: .warehouse),
                      "order NORTH-1001 is pending_payment: only paid or shipped orders can be shipped", code: .conflict)
        assertRefused(try run("shipping.shipment.create", ["order": "NORTH-9", "carrier": "laposte", "tracking": "LP1"], as: .warehouse),
                      "no order NORTH-9 in this shop", code: .notFound)
        assertRefused(try run("shipping.carrier.add", ["code": "dhl", "name": "DHL", "tracking_url": "https://dhl.example/track"]),
                      "tracking_url must contain {tracking} where the tracking number goes, got 'https://dhl.example/track'")
        XCTAssertEqual(try count("shipping_shipments"), 0)
        XCTAssertEqual(try count("shipping_carriers"), 1)
    }

    func testTrackingEventsAreListedInTimeOrderAndTheLastDeliveryDeliversTheOrder() throws {
        let number = try makePaidOrder(["TEA:1"])
        let shipment = try run("shipping.shipment.create", ["order": .string(number), "carrier": "laposte", "tracking": "LP9"], as: .warehouse)
        let id = try XCTUnwrap(shipment["id"])
        try run("shipping.shipment.track", ["shipment": id, "event": "Arrived at sorting centre", "location": "Lyon",
                                            "at": "2027-01-15T12:00:00Z", "status": "in_transit"], as: .warehouse)
        try run("shipping.shipment.track", ["shipment": id, "event": "Picked up", "location": "Paris",
                                            "at": "2027-01-15T09:00:00Z"], as: .warehouse)
        assertRefused(try run("shipping.shipment.track", ["shipment": id, "event": "Lost", "status": "vanished"], as: .warehouse),
                      "'vanished' is not a shipment status: use in_transit, out_for_delivery, delivered or exception")
        assertRefused(try run("shipping.shipment.track", ["shipment": 77, "event": "Lost"], as: .warehouse), "no shipment 77 in this shop")
        let listed = try run("shipping.shipment.list", ["order": .string(number)], as: .clerk)
        let events = listed["shipments"]?.arrayValue?.first?["events"]?.arrayValue ?? []
        XCTAssertEqual(events.map { $0["event"] ?? .null }, ["Picked up", "Arrived at sorting centre"])
        XCTAssertEqual(events.map { $0["at"] ?? .null }, ["2027-01-15T09:00:00Z", "2027-01-15T12:00:00Z"])
        XCTAssertEqual(events.map { $0["location"] ?? .null }, ["Paris", "Lyon"])
        XCTAssertEqual(listed["shipments"]?.arrayValue?.first?["status"], "in_transit")

        let delivered = try run("shipping.shipment.track", ["shipment": id, "event": "Delivered to the customer", "status": "delivered"],
                                as: .warehouse)
        XCTAssertEqual(delivered["status"], "delivered")
        XCTAssertEqual(delivered["events"]?.arrayValue?.count, 3)
        XCTAssertEqual(try run("orders.show", ["order": .string(number)], as: .clerk)["status"], "delivered")
        let audit = try run("audit.list", ["operation": "shipping.shipment.track"], as: .owner)["items"]?.arrayValue ?? []
        XCTAssertEqual(audit.count, 3)
        XCTAssertTrue(audit.contains { $0["change"]?["status"] == ["from": "in_transit", "to": "delivered"] })
    }

    // MARK: Packing slip

    func testPackingSlipIsPrintableEscapedHTML() throws {
        let number = try makePaidOrder(["TEA:2", "CUP:1"])
        try run("shipping.shipment.create", ["order": .string(number), "carrier": "laposte", "tracking": "LP42", "lines": ["TEA:1"]],
                as: .warehouse)
        try run("orders.place", ["lines": ["POT:1"], "attributes": ["shipping_method=express", "note=<b>Tom's & \"Jerry\"</b>"],
                                 "destination": ["country=FR", "city=<script>"]], as: .clerk)
        let slip = try run("shipping.packing-slip", ["order": .string(number)], as: .warehouse)
        let html = try XCTUnwrap(slip["html"]?.stringValue)
        XCTAssertTrue(html.hasPrefix("<!doctype html>"))
        XCTAssertTrue(html.contains("@media print"))
        XCTAssertTrue(html.contains("<h1>north</h1>"))
        XCTAssertTrue(html.contains("Packing slip: order \(number)"))
        XCTAssertTrue(html.contains("<td>TEA</td><td>Tea</td><td class=\"qty\">2</td><td class=\"qty\">1</td><td class=\"qty\">1</td>"))
        XCTAssertTrue(html.contains("<td>LP42</td>"))
        XCTAssertTrue(html.contains("country: FR"))
        XCTAssertTrue(html.contains("Express (express)"))

        let other = try XCTUnwrap(try run("shipping.packing-slip", ["order": "NORTH-1002"], as: .clerk)["html"]?.stringValue)
        XCTAssertTrue(other.contains("note: &lt;b&gt;Tom&#39;s &amp; &quot;Jerry&quot;&lt;/b&gt;"))
        XCTAssertTrue(other.contains("city: &lt;script&gt;"))
        XCTAssertFalse(other.contains("<script>"))
        XCTAssertFalse(other.contains("<b>Tom"))
        assertRefused(try run("shipping.packing-slip", ["order": "NORTH-5"], as: .clerk), "no order NORTH-5 in this shop")
    }

    // MARK: Permissions

    func testWhoMayDoWhat() throws {
        let number = try makePaidOrder(["TEA:1"])
        assertRefused(try run("shipping.shipment.create", ["order": .string(number), "carrier": "laposte", "tracking": "LP1"], as: .clerk),
                      "clerk@north.test lacks permission 'shipping.ship' in shop 'north'", code: .permissionDenied)
        XCTAssertEqual(try count("shipping_shipments"), 0)
        try run("shipping.shipment.create", ["order": .string(number), "carrier": "laposte", "tracking": "LP1"], as: .warehouse)
        XCTAssertEqual(try count("shipping_shipments"), 1)
        for role in [BuiltInRole.warehouse, .clerk, .auditor] {
            assertRefused(try run("shipping.method.configure", ["code": "shop", "name": "Pickup", "kind": "pickup"], as: role),
                          "\(role.rawValue)@north.test lacks permission 'shipping.manage' in shop 'north'", code: .permissionDenied)
        }
        assertRefused(try run("shipping.quote", ["template": "std", "count": 1, "country": "FR"], as: .finance),
                      "finance@north.test lacks permission 'shipping.read' in shop 'north'", code: .permissionDenied)
        for role in [BuiltInRole.manager, .clerk, .warehouse, .support, .auditor] {
            XCTAssertNoThrow(try run("shipping.shipment.list", ["order": .string(number)], as: role), role.rawValue)
        }
    }
}
