import Foundation
import Kernel
import Catalog
import Customers
import Orders
import Inventory

/// P processes race to buy the last U units of one SKU through the real kernel and plugins,
/// one order of one unit at a time, until each is refused for lack of stock.
enum Contention {
    static let plugins: [any Plugin] = [CatalogPlugin(), CustomersPlugin(), OrdersPlugin(), InventoryPlugin()]

    static func run(processes: Int, units: Int, rounds: Int) -> Never {
        print("contention benchmark: \(processes) processes race for the last \(units) units, \(rounds) rounds")
        print("round  orders/s  sold  oversold   (clock starts when every process is ready)")
        var rates: [Double] = []
        var worst = 0
        for round in 1...rounds {
            do {
                let folder = try setUp(units: units)
                let workers = try (0..<processes).map { _ -> Process in
                    let process = Process()
                    process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
                    process.arguments = ["worker", folder]
                    try process.run()
                    return process
                }
                // Start the clock when every worker has opened the kernel and signed in, so
                // that process start-up is not counted.
                let ready = (folder as NSString).appendingPathComponent("ready")
                while ((try? FileManager.default.contentsOfDirectory(atPath: ready))?.count ?? 0) < processes { usleep(2000) }
                let start = DispatchTime.now().uptimeNanoseconds
                _ = FileManager.default.createFile(atPath: (folder as NSString).appendingPathComponent("go"), contents: Data())
                for worker in workers { worker.waitUntilExit() }
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                let kernel = try Kernel(dataDirectory: folder, plugins: plugins)
                let sold = try kernel.store.read { try $0.query("SELECT COUNT(*) AS n FROM orders_orders")[0].int("n") }
                let oversold = sold - units
                worst = max(worst, oversold)
                rates.append(Double(sold) / seconds)
                print(String(format: "%5d  %8.0f  %4d  %8d", round, Double(sold) / seconds, sold, oversold))
                try? FileManager.default.removeItem(atPath: folder)
            } catch {
                FileHandle.standardError.write(Data("souk-bench: \(error)\n".utf8))
                exit(1)
            }
        }
        print(String(format: "median %8.0f orders/s; units oversold in the worst round: %d", median(rates), worst))
        exit(worst == 0 ? 0 : 1)
    }

    static func setUp(units: Int) throws -> String {
        let folder = try scratchFolder("race")
        let kernel = try Kernel(dataDirectory: folder, plugins: plugins)
        let admin = try kernel.initialize(operatorEmail: "bench@souk.test", password: "bench-password", allowDynamicPlugins: false)
        try kernel.perform("shop.create", input: ["code": "bench", "name": "Bench", "currency": "EUR"], context: try kernel.context(for: admin, shopCode: nil))
        let shop = try kernel.context(for: admin, shopCode: "bench")
        let csv = "handle,title,description,keywords,tags,listed,sku,price,weight_grams,volume_cm3,barcode,images\r\nlast,Last one,,,,true,LAST-1,999,100,100,,\r\n"
        try kernel.perform("catalog.import", input: ["csv": .string(csv)], context: shop)
        try kernel.perform("inventory.adjust", input: ["sku": "LAST-1", "quantity": .int(Int64(units)), "reason": "received"], context: shop)
        try kernel.perform("staff.add", input: ["email": "clerk@souk.test", "password": "bench-password", "role": "clerk"], context: shop)
        try FileManager.default.createDirectory(atPath: (folder as NSString).appendingPathComponent("ready"), withIntermediateDirectories: true)
        return folder
    }

    /// One racing process: buys one unit at a time until refused for lack of stock.
    static func worker(folder: String) -> Never {
        do {
            let kernel = try Kernel(dataDirectory: folder, plugins: plugins)
            let clerk = try kernel.verifyPassword(email: "clerk@souk.test", password: "bench-password")
            let context = try kernel.context(for: clerk, shopCode: "bench")
            let ready = (folder as NSString).appendingPathComponent("ready/\(getpid())")
            _ = FileManager.default.createFile(atPath: ready, contents: Data())
            let go = (folder as NSString).appendingPathComponent("go")
            while !FileManager.default.fileExists(atPath: go) { usleep(500) }
            while true {
                do {
                    try kernel.perform("orders.place", input: ["lines": ["LAST-1:1"]], context: context)
                } catch let error as KernelError where error.code == .insufficientStock {
                    exit(0)
                }
            }
        } catch {
            FileHandle.standardError.write(Data("worker: \(error)\n".utf8))
            exit(1)
        }
    }
}
