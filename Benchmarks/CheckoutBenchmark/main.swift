// souk-bench: measures checkout through the real kernel and plugins against the same
// logical transaction written directly against SQLite, in the same run.
// Build and run in release: swift run -c release souk-bench checkout [--orders N] [--rounds R]
import Foundation
import Kernel
import Catalog
import Customers
import Orders
import Payment
import Shipping
import Inventory

signal(SIGPIPE, SIG_IGN)
let command = CommandLine.arguments.dropFirst().first ?? ""
let arguments = Array(CommandLine.arguments.dropFirst(2))
guard ["checkout", "checkout-full", "contention", "worker"].contains(command) else {
    print("""
        usage: souk-bench checkout [--orders N] [--rounds R]
               souk-bench checkout-full [--orders N] [--rounds R]
               souk-bench contention [--processes P] [--units U] [--rounds R]
        """)
    exit(2)
}
if command == "worker" { Contention.worker(folder: arguments[0]) }
if command == "contention" {
    Contention.run(processes: option("--processes", 8), units: option("--units", 100), rounds: option("--rounds", 5))
}
func option(_ name: String, _ fallback: Int) -> Int {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count, let value = Int(arguments[index + 1]), value > 0 else {
        return fallback
    }
    return value
}
let orders = option("--orders", 2000)
let rounds = option("--rounds", 5)

let full = command == "checkout-full"
do {
    let souk = try SoukCheckout(full: full)
    let ceiling: any CheckoutCeiling = full
        ? try PaidCheckoutCeiling(bare: ProcessInfo.processInfo.environment["SOUK_BENCH_CEILING"] == "bare")
        : try RawCheckout()
    var soukRates: [Double] = [], rawRates: [Double] = []
    print("checkout\(full ? "-full" : "") benchmark: \(orders) orders of 3 lines per round, \(rounds) rounds, WAL, synchronous=NORMAL")
    if full {
        switch souk.steps {
        case "separate":
            print("souk side: orders.place with a shipping template and stock reservation, then payment.authorize and payment.capture (sandbox)")
        case "checkout":
            print("souk side: payment.checkout (order with a shipping template and stock reservation, sandbox authorize and capture, one transaction)")
        default:
            print("souk side: orders.place pay_with=sandbox (shipping template, stock sold, sandbox authorize and capture, one operation, one transaction)")
        }
        print((ceiling as? PaidCheckoutCeiling)?.description ?? "")
    }
    else if ProcessInfo.processInfo.environment["SOUK_BENCH_PLUGINS"] == "all" { print("souk side: all six plugins loaded (stock reserved per line)") }
    print("round  souk orders/s  raw SQLite orders/s  ratio   souk CPU µs/order  raw CPU µs/order  CPU ratio")
    // For profiling one side alone: SOUK_BENCH_ONLY=souk or raw.
    let only = ProcessInfo.processInfo.environment["SOUK_BENCH_ONLY"]
    if let only {
        let rate = try measure(orders) { only == "raw" ? try ceiling.place($0) : try souk.place($0) }
        print(String(format: "%@ only: %.0f orders/s", only, rate))
        exit(0)
    }
    var soukCPU: [Double] = [], rawCPU: [Double] = []
    for round in 1...rounds {
        // Alternate which side goes first so that neither always gets the warmer machine.
        let (s, r): (Double, Double)
        if round % 2 == 1 {
            s = try measure(orders) { try souk.place($0) }
            r = try measure(orders) { try ceiling.place($0) }
            soukCPU.append(CPUSamples.perOrder[CPUSamples.perOrder.count - 2])
            rawCPU.append(CPUSamples.perOrder[CPUSamples.perOrder.count - 1])
        } else {
            r = try measure(orders) { try ceiling.place($0) }
            s = try measure(orders) { try souk.place($0) }
            rawCPU.append(CPUSamples.perOrder[CPUSamples.perOrder.count - 2])
            soukCPU.append(CPUSamples.perOrder[CPUSamples.perOrder.count - 1])
        }
        soukRates.append(s)
        rawRates.append(r)
        print(String(format: "%5d  %13.0f  %19.0f  %5.1f%%  %17.1f  %16.1f  %8.1f%%", round, s, r, 100 * s / r,
                     soukCPU.last!, rawCPU.last!, 100 * rawCPU.last! / soukCPU.last!))
    }
    let soukMedian = median(soukRates), rawMedian = median(rawRates)
    let soukCPUMedian = median(soukCPU), rawCPUMedian = median(rawCPU)
    print(String(format: "median %13.0f  %19.0f  %5.1f%%  %17.1f  %16.1f  %8.1f%%", soukMedian, rawMedian, 100 * soukMedian / rawMedian,
                 soukCPUMedian, rawCPUMedian, 100 * rawCPUMedian / soukCPUMedian))
    try souk.check(expected: orders * rounds)
    try ceiling.check(expected: orders * rounds)
} catch {
    FileHandle.standardError.write(Data("souk-bench: \(error)\n".utf8))
    exit(1)
}

/// The raw-SQLite side of a benchmark: the same logical transaction by hand.
protocol CheckoutCeiling {
    func place(_ index: Int) throws
    func check(expected: Int) throws
}

/// Orders per second by the wall clock. The process's CPU time (user + system) for the same
/// orders goes to `CPUSamples.perOrder`, one figure per call: on a shared machine the disk makes
/// the wall clock noisy, and CPU time per order shows the work itself.
func measure(_ count: Int, _ body: (Int) throws -> Void) throws -> Double {
    let cpuBefore = processCPUMicroseconds()
    let start = DispatchTime.now().uptimeNanoseconds
    for index in 0..<count { try body(index) }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    CPUSamples.perOrder.append((processCPUMicroseconds() - cpuBefore) / Double(count))
    return Double(count) / seconds
}

/// CPU time per order of each `measure` call, in call order (a static: globals of main.swift
/// are initialised only when the top-level code reaches them).
enum CPUSamples {
    nonisolated(unsafe) static var perOrder: [Double] = []
}

func processCPUMicroseconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e6 + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec)
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

func scratchFolder(_ name: String) throws -> String {
    let path = (NSTemporaryDirectory() as NSString).appendingPathComponent("souk-bench-\(name)-\(getpid())")
    try? FileManager.default.removeItem(atPath: path)
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Orders placed by `orders.place` through the kernel, the Catalog's pricing filter and the
/// Orders plugin: permission check, input validation, pricing, guards, order + lines +
/// adjustments + transition rows, outbox event, hash-chained audit entry, one commit.
final class SoukCheckout {
    let kernel: Kernel
    let context: OperationContext
    let folder: String
    let full: Bool

    init(full: Bool) throws {
        self.full = full
        folder = try scratchFolder("souk")
        // SOUK_BENCH_PLUGINS=all loads all six plugins for the plain checkout too, as `souk
        // serve` does (Benchmarks/http compares with both).
        let allPlugins = full || ProcessInfo.processInfo.environment["SOUK_BENCH_PLUGINS"] == "all"
        let plugins: [any Plugin] = allPlugins
            ? [CatalogPlugin(), CustomersPlugin(), OrdersPlugin(), PaymentPlugin(), ShippingPlugin(), InventoryPlugin()]
            : [CatalogPlugin(), CustomersPlugin(), OrdersPlugin()]
        kernel = try Kernel(dataDirectory: folder, plugins: plugins)
        let admin = try kernel.initialize(operatorEmail: "bench@souk.test", password: "bench-password", allowDynamicPlugins: false)
        let platform = try kernel.context(for: admin, shopCode: nil)
        try kernel.perform("shop.create", input: ["code": "bench", "name": "Bench", "currency": "EUR"], context: platform)
        try kernel.perform("staff.add", input: ["email": "clerk@souk.test", "password": "bench-password", "role": "clerk"],
                           context: try kernel.context(for: admin, shopCode: "bench"))
        let csv = """
            handle,title,description,keywords,tags,listed,sku,price,weight_grams,volume_cm3,barcode,images
            tea,Green tea,,,,true,TEA-1,450,100,200,,
            cup,Cup,,,,true,CUP-1,1200,300,500,,
            pot,Tea pot,,,,true,POT-1,3333,900,1500,,
            """
        let shop = try kernel.context(for: admin, shopCode: "bench")
        try kernel.perform("catalog.import", input: ["csv": .string(csv)], context: shop)
        if allPlugins {
            for sku in ["TEA-1", "CUP-1", "POT-1"] {
                try kernel.perform("inventory.adjust", input: ["sku": .string(sku), "quantity": 1_000_000_000, "reason": "received"], context: shop)
            }
        }
        if full {
            try kernel.perform("shipping.template.create", input: ["code": "std", "name": "Standard", "basis": "weight"], context: shop)
            try kernel.perform("shipping.template.rule.add", input: ["template": "std", "country": "FR", "first_units": 1000, "first_fee": 500,
                                                                     "additional_units": 500, "additional_fee": 150], context: shop)
            try kernel.perform("shipping.method.configure", input: ["code": "express", "name": "Express", "kind": "express", "template": "std"], context: shop)
            try kernel.perform("payment.method.configure", input: ["code": "sandbox"], context: shop)
            try kernel.perform("staff.grant", input: ["email": "clerk@souk.test", "role": "finance"], context: shop)
        }
        let clerk = try kernel.verifyPassword(email: "clerk@souk.test", password: "bench-password")
        context = try kernel.context(for: clerk, shopCode: "bench")
    }

    private var sequence = 0
    /// SOUK_BENCH_STEPS=separate: the full checkout as three operations (place, authorize,
    /// capture), each its own transaction, as before `payment.checkout` existed;
    /// SOUK_BENCH_STEPS=checkout: `payment.checkout`, which runs those operations nested in
    /// one transaction. By default: `orders.place` with `pay_with`, one operation.
    let steps = ProcessInfo.processInfo.environment["SOUK_BENCH_STEPS"] ?? "pay_with"
    var separateSteps: Bool { steps == "separate" }

    func place(_ index: Int) throws {
        guard full else {
            try kernel.perform("orders.place", input: ["lines": ["TEA-1:2", "CUP-1:1", "POT-1:1"]], context: context)
            return
        }
        sequence += 1
        if steps == "pay_with" {
            // Pay while placing: the order, its stock sold and the card authorized and
            // captured, one operation and one transaction.
            let order = try kernel.perform("orders.place", input: [
                "lines": ["TEA-1:2", "CUP-1:1", "POT-1:1"], "attributes": ["shipping_method=express"], "destination": ["country=FR"],
                "pay_with": "sandbox", "card": "4242424242424242"], context: context)
            guard order["status"] == "paid" else { throw KernelError(.internal, "sandbox did not approve: \(JSON.encode(order))") }
            return
        }
        if !separateSteps {
            // Pay at checkout: the order, its stock reservation and the card's capture in one
            // transaction (then Inventory turns the reservation into a sale after commit).
            let paid = try kernel.perform("payment.checkout", input: [
                "lines": ["TEA-1:2", "CUP-1:1", "POT-1:1"], "attributes": ["shipping_method=express"], "destination": ["country=FR"],
                "method": "sandbox", "card": "4242424242424242", "idempotency_key": .string("k\(sequence)")], context: context)
            guard paid["outcome"] == "approved" else { throw KernelError(.internal, "sandbox did not approve: \(JSON.encode(paid))") }
            return
        }
        let order = try kernel.perform("orders.place", input: ["lines": ["TEA-1:2", "CUP-1:1", "POT-1:1"],
                                                               "attributes": ["shipping_method=express"], "destination": ["country=FR"]],
                                       context: context)
        let number = order["number"]!
        let authorized = try kernel.perform("payment.authorize", input: ["order": number, "method": "sandbox", "card": "4242424242424242",
                                                                         "idempotency_key": .string("a\(sequence)")], context: context)
        guard authorized["outcome"] == "approved" else { throw KernelError(.internal, "sandbox did not approve: \(JSON.encode(authorized))") }
        try kernel.perform("payment.capture", input: ["order": number, "idempotency_key": .string("c\(sequence)")], context: context)
    }

    func check(expected: Int) throws {
        let placed = try kernel.store.read { try $0.query("SELECT COUNT(*) AS n FROM orders_orders\(full ? " WHERE status = 'paid'" : "")")[0].int("n") }
        guard placed == expected else { throw KernelError(.internal, "souk placed \(placed) orders, expected \(expected)") }
        try? FileManager.default.removeItem(atPath: folder)
    }
}

/// The ceiling: the same logical transaction straight on SQLite through prepared statements:
/// check and decrement stock for 3 SKUs, insert the order, its 3 lines, a payment row and an
/// audit row, one commit.
final class RawCheckout: CheckoutCeiling {
    let store: Store
    let folder: String

    init() throws {
        folder = try scratchFolder("raw")
        store = try Store(path: folder + "/raw.sqlite")
        try store.write { tx in
            try tx.execute("CREATE TABLE stock (sku TEXT PRIMARY KEY, price INTEGER NOT NULL, quantity INTEGER NOT NULL)")
            try tx.execute("""
                CREATE TABLE orders (id INTEGER PRIMARY KEY, shop_id INTEGER NOT NULL, number TEXT NOT NULL, total INTEGER NOT NULL,
                status TEXT NOT NULL, placed_at INTEGER NOT NULL)
                """)
            try tx.execute("""
                CREATE TABLE lines (id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL, sku TEXT NOT NULL, quantity INTEGER NOT NULL,
                unit_price INTEGER NOT NULL, line_total INTEGER NOT NULL)
                """)
            try tx.execute("CREATE TABLE payments (id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL, amount INTEGER NOT NULL, status TEXT NOT NULL)")
            try tx.execute("CREATE TABLE audit (id INTEGER PRIMARY KEY, actor TEXT NOT NULL, operation TEXT NOT NULL, entity TEXT NOT NULL, at INTEGER NOT NULL)")
            for (sku, price) in [("TEA-1", 450), ("CUP-1", 1200), ("POT-1", 3333)] {
                try tx.execute("INSERT INTO stock (sku, price, quantity) VALUES (?, ?, ?)", [sku, price, 1_000_000_000])
            }
        }
    }

    func place(_ index: Int) throws {
        let lines: [(String, Int64, Int64)] = [("TEA-1", 2, 450), ("CUP-1", 1, 1200), ("POT-1", 1, 3333)]
        try store.write { tx in
            for (sku, quantity, _) in lines {
                guard try tx.execute("UPDATE stock SET quantity = quantity - ? WHERE sku = ? AND quantity >= ?", [quantity, sku, quantity]) == 1 else {
                    throw KernelError(.insufficientStock, "out of \(sku)")
                }
            }
            let total = lines.reduce(Int64(0)) { $0 + $1.1 * $1.2 }
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            try tx.execute("INSERT INTO orders (shop_id, number, total, status, placed_at) VALUES (?, ?, ?, ?, ?)",
                           [1, "RAW-\(index)", total, "paid", now])
            let order = tx.lastInsertRowID
            for (sku, quantity, price) in lines {
                try tx.execute("INSERT INTO lines (order_id, sku, quantity, unit_price, line_total) VALUES (?, ?, ?, ?, ?)",
                               [order, sku, quantity, price, quantity * price])
            }
            try tx.execute("INSERT INTO payments (order_id, amount, status) VALUES (?, ?, ?)", [order, total, "captured"])
            try tx.execute("INSERT INTO audit (actor, operation, entity, at) VALUES (?, ?, ?, ?)", ["clerk", "orders.place", "order:\(order)", now])
        }
    }

    func check(expected: Int) throws {
        let placed = try store.read { try $0.query("SELECT COUNT(*) AS n FROM orders")[0].int("n") }
        guard placed == expected else { throw KernelError(.internal, "raw placed \(placed) orders, expected \(expected)") }
        try? FileManager.default.removeItem(atPath: folder)
    }
}
