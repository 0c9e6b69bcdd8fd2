import XCTest
import Kernel
import KernelTesting

/// The commerce plugins through the stock `souk` binary: catalog import, stock, checkout,
/// and several processes racing for the last units.
final class CommerceCLITests: XCTestCase {
    static let catalog = """
        handle,title,description,keywords,tags,listed,sku,price,weight_grams,volume_cm3,barcode,images
        tea,Green tea,"Loose leaves, 100 g",tea|green,drinks,true,TEA-1,450,100,200,,
        cup,Cup,,,kitchen,true,CUP-1,1200,300,500,,

        """

    func shopWithStock(_ folder: TemporaryDirectory, units: Int) throws -> (SoukProcess, String) {
        let souk = try SoukProcess.initialised(folder, shops: ["north"])
        let token = try souk.ok(["login", "--email", "op@souk.test"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let file = folder.file("catalog.csv")
        try Self.catalog.write(toFile: file, atomically: true, encoding: .utf8)
        try souk.ok(["--token", token, "catalog", "import", "--shop", "north", "--csv-file", file])
        try souk.ok(["--token", token, "inventory", "adjust", "--shop", "north", "--sku", "TEA-1", "--quantity", "\(units)", "--reason", "received"])
        return (souk, token)
    }

    func testCheckoutThroughTheCLI() throws {
        let folder = try TemporaryDirectory()
        let (souk, token) = try shopWithStock(folder, units: 5)
        let order = try souk.ok(["--token", token, "--json", "orders", "place", "--shop", "north", "--lines", "TEA-1:2"]).stdout
        let value = try JSON.decode(order)
        XCTAssertEqual(value["number"], "NORTH-1001")
        XCTAssertEqual(value["total"]?["display"], "9.00 EUR")
        let refused = try souk.run(["--token", token, "orders", "place", "--shop", "north", "--lines", "TEA-1:4"])
        XCTAssertEqual(refused.status, 13)
        XCTAssertEqual(refused.stderr, "error: only 3 of SKU TEA-1 available, 4 ordered\n")
        let zero = try souk.run(["--token", token, "orders", "place", "--shop", "north", "--lines", "TEA-1:0"])
        XCTAssertEqual(zero.status, 3)
        XCTAssertEqual(zero.stderr, "error: quantity of SKU TEA-1 must be at least 1, got 0\n")
        let paid = try JSON.decode(try souk.ok(["--token", token, "--json", "orders", "pay", "--shop", "north", "--order", "NORTH-1001"]).stdout)
        XCTAssertEqual(paid["status"], "paid")
        XCTAssertEqual(paid["paid"]?["amount"], 900)
        let shipped = try souk.run(["--token", token, "orders", "deliver", "--shop", "north", "--order", "NORTH-1001"])
        XCTAssertEqual(shipped.status, 5)
        XCTAssertEqual(shipped.stderr, "error: order NORTH-1001 is paid and cannot become delivered (allowed: shipped, cancelled)\n")
    }

    func testProcessesRacingForTheLastUnitsNeverOversell() throws {
        let units = 20, processes = 6
        let folder = try TemporaryDirectory()
        let (souk, token) = try shopWithStock(folder, units: units)
        final class Tally: @unchecked Sendable {
            let lock = NSLock()
            var sold = 0, refused = 0, other: [String] = []
            func record(_ result: SoukProcess.Result) -> Bool {
                lock.lock()
                defer { lock.unlock() }
                if result.status == 0 { sold += 1; return true }
                if result.status == 13 { refused += 1 } else { other.append(result.stderr) }
                return false
            }
        }
        let tally = Tally()
        // Each racer is a separate `souk` process; they share only the data folder.
        // Bounded: if stock were not enforced, each racer stops after a few more tries than units.
        DispatchQueue.concurrentPerform(iterations: processes) { _ in
            for _ in 0...(units + 2) {
                guard let result = try? souk.run(["--token", token, "orders", "place", "--shop", "north", "--lines", "TEA-1:1"]),
                      tally.record(result) else { return }
            }
        }
        XCTAssertEqual(tally.other, [])
        XCTAssertEqual(tally.sold, units, "exactly the units in stock were sold")
        XCTAssertEqual(tally.refused, processes)
        let stock = try JSON.decode(try souk.ok(["--token", token, "--json", "inventory", "stock", "list", "--shop", "north", "--sku", "TEA-1"]).stdout)
        XCTAssertEqual(stock["items"]?.arrayValue?.first?["reserved"], .int(Int64(units)))
        XCTAssertEqual(stock["items"]?.arrayValue?.first?["available"], 0)
        let orders = try JSON.decode(try souk.ok(["--token", token, "--json", "orders", "list", "--shop", "north", "--limit", "500"]).stdout)
        XCTAssertEqual(orders["items"]?.arrayValue?.count, units)
    }
}
