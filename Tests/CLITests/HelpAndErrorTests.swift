import XCTest
import KernelTesting

final class HelpAndErrorTests: XCTestCase {
    func testTopLevelHelpListsCommandsFromTheRegistry() throws {
        let folder = try TemporaryDirectory()
        let result = try SoukProcess(data: folder.file("none")).run(["--help"])
        XCTAssertEqual(result.status, 0)
        XCTAssertTrue(result.stdout.hasPrefix("""
            souk 0.1.0: the Souk commerce kernel

            Usage: souk [global options] COMMAND [flags]

            Getting started:
              init                    create a data folder and its first operator
            """), result.stdout)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        // One aligned line per command, from the kernel's and the built-in plugins' registries.
        for (command, summary) in [("shop create", "Create a shop"), ("staff grant", "Give a staff member a role in the shop"),
                                   ("orders place", "Place an order directly from lines (checkout without a stored cart); with pay_with, pay it in the same transaction")] {
            XCTAssertTrue(lines.contains { $0.hasPrefix("  \(command) ") && $0.hasSuffix("  \(summary)") }, "\(command) missing:\n\(result.stdout)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.file("none")), "help creates no data folder")
    }

    func testOperationHelpIsGeneratedFromItsFields() throws {
        let folder = try TemporaryDirectory()
        let result = try SoukProcess(data: folder.file("none")).run(["staff", "grant", "--help"])
        XCTAssertEqual(result.stdout, """
            Usage: souk staff grant --shop CODE --email EMAIL --role ROLE

            Give a staff member a role in the shop.

            Flags:
              --email EMAIL         the staff member (required) [email]
              --role ROLE           built-in or custom role (required) [code]

            Permission: 'staff.manage' in the shop; audited.

            """)
        let add = try SoukProcess(data: folder.file("none")).run(["staff", "add", "--help"])
        XCTAssertTrue(add.stdout.contains("\nInitial password: read from SOUK_NEW_PASSWORD, or asked on the terminal.\n"), add.stdout)
    }

    func testBadCommandLinesGetExactErrorsAndStatuses() throws {
        let folder = try TemporaryDirectory()
        let souk = try SoukProcess.initialised(folder, shops: ["north"])
        let asOp = ["--as", "op@souk.test"]
        let cases: [([String], Int32, String)] = [
            (asOp + ["shop", "create", "--code", "x", "--name", "X", "--currency", "EUR", "--colour", "red"], 2,
             "error: unknown flag --colour for 'souk shop create'; run 'souk shop create --help'\n"),
            (asOp + ["shop", "create", "--code"], 2, "error: flag --code needs a value\n"),
            (asOp + ["shop", "create", "--code", "x", "--name", "X", "--currency", "EURO"], 3,
             "error: 'EURO' is not an ISO 4217 currency code (e.g. EUR, USD, JPY)\n"),
            (asOp + ["shop", "create", "--code", "x", "--name", "X", "--currency", "EUR", "--timezone", "Moon/Base"], 3,
             "error: 'Moon/Base' is not an IANA time zone (e.g. Europe/Paris, UTC)\n"),
            (asOp + ["shop", "create", "--code", "north", "--name", "X", "--currency", "EUR"], 5,
             "error: a shop with code 'north' already exists\n"),
            (asOp + ["shop", "show", "--shop", "south"], 4,
             "error: no shop with code 'south'; `souk shop list` shows the shops you can see\n"),
            (asOp + ["staff", "grant", "--shop", "north", "--email", "ghost@souk.test", "--role", "clerk"], 4,
             "error: no staff account with email 'ghost@souk.test'; add it with: souk staff add --email ghost@souk.test\n"),
            (asOp + ["role", "create", "--shop", "north", "--name", "x", "--permissions", "shop.read,shop.fly"], 3,
             "error: unknown permission(s): shop.fly; `souk permission list` shows them\n"),
            (asOp + ["frobnicate"], 2, "error: unknown command 'frobnicate'; run 'souk --help' for the list of commands\n"),
            (["shop", "update", "--shop", "north", "--name", "Y"], 7,
             "error: shop.update needs a signed-in actor: use --as EMAIL or --token TOKEN\n"),
            (["--token", "souk_bogus", "shop", "list"], 7,
             "error: the token is unknown or expired; sign in again with: souk login --email EMAIL\n"),
            (["--as", "op@souk.test", "shop", "list"], 7, "error: wrong email or password\n"),
            (["--as", "op@souk.test", "shop", "list"], 2, "error: the password for op@souk.test needed: set SOUK_PASSWORD or run on a terminal\n"),
        ]
        for (arguments, status, stderr) in cases {
            var runner = souk
            if stderr == "error: wrong email or password\n" { runner.environment["SOUK_PASSWORD"] = "nope-nope-nope" }
            if status == 2, stderr.contains("needed: set SOUK_PASSWORD") { runner.environment["SOUK_PASSWORD"] = nil }
            let result = try runner.run(arguments)
            XCTAssertEqual(result.status, status, arguments.joined(separator: " "))
            XCTAssertEqual(result.stderr, stderr, arguments.joined(separator: " "))
            XCTAssertEqual(result.stdout, "")
        }
        // Nothing was written by any of them.
        let shops = try souk.ok(asOp + ["shop", "list", "--json"])
        XCTAssertEqual(shops.stdout, #"{"items":[{"code":"north","name":"Shop north","currency":"EUR","timezone":"UTC"}],"next_cursor":null}"# + "\n")
        let json = try souk.run(asOp + ["--json", "shop", "create", "--code", "x", "--name", "X", "--currency", "EURO"])
        XCTAssertEqual(json.stderr, #"{"error":{"code":"invalid_input","message":"'EURO' is not an ISO 4217 currency code (e.g. EUR, USD, JPY)","field":"currency"}}"# + "\n")
    }

    func testMissingDataFolderSaysHowToCreateOne() throws {
        let folder = try TemporaryDirectory()
        let result = try SoukProcess(data: folder.file("nothing")).run(["shop", "list"])
        XCTAssertEqual(result.status, 4)
        XCTAssertEqual(result.stderr, "error: no Souk data folder at \(folder.file("nothing")); create one with: souk init --operator-email EMAIL (or pass --data DIR)\n")
    }
}
