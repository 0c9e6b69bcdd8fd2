import XCTest
import Kernel
import HTTPTestClient
import HTTPServer
import SoukHTTP

/// The admin API over a real socket: routes generated from the operations, bearer tokens,
/// problem+json errors, idempotency, ETags, pagination and request ids.
final class AdminAPITests: XCTestCase {
    var server: APIServer!
    var owner: String!

    override func setUpWithError() throws {
        server = try APIServer()
        owner = try server.token("amira@demo.souk")
    }

    override func tearDown() { server = nil }

    private func auth(_ token: String) -> [String: String] { ["Authorization": "Bearer \(token)"] }

    func testReadsAreGETWithQueryParametersAndMutationsArePOSTWithJSON() throws {
        let client = try server.client()
        let products = try client.request("GET", "/v1/shops/north/catalog/product/list?limit=2", headers: auth(owner))
        XCTAssertEqual(products.status, 200, products.text)
        XCTAssertEqual(products.header("Content-Type"), "application/json")
        XCTAssertEqual(products.json["items"]?.arrayValue?.count, 2)

        let placed = try client.request("POST", "/v1/shops/north/orders/place", body: #"{"lines":["CUP-STONE:1"]}"#, headers: auth(owner))
        XCTAssertEqual(placed.status, 200, placed.text)
        let number = try XCTUnwrap(placed.json["number"]?.stringValue)
        let shown = try client.request("GET", "/v1/shops/north/orders/show?order=\(number)", headers: auth(owner))
        XCTAssertEqual(shown.status, 200, shown.text)
        XCTAssertEqual(shown.json["number"]?.stringValue, number)

        let wrongMethod = try client.request("GET", "/v1/shops/north/orders/place", headers: auth(owner))
        XCTAssertEqual(wrongMethod.status, 405)
        XCTAssertEqual(wrongMethod.header("Allow"), "POST")
        let platform = try client.request("GET", "/v1/shop/list", headers: auth(try server.token("operator@demo.souk")))
        XCTAssertEqual(platform.status, 200, platform.text)
    }

    func testErrorsAreProblemJSONWithStableCodes() throws {
        let client = try server.client()
        func problem(_ response: TestClient.Response, _ status: Int, _ code: String, file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertEqual(response.status, status, response.text, file: file, line: line)
            XCTAssertEqual(response.header("Content-Type"), "application/problem+json", file: file, line: line)
            XCTAssertEqual(response.json["code"]?.stringValue, code, response.text, file: file, line: line)
            XCTAssertEqual(response.json["status"]?.intValue, Int64(status), file: file, line: line)
            XCTAssertNotNil(response.json["request_id"]?.stringValue, file: file, line: line)
        }
        problem(try client.request("GET", "/v1/shops/north/orders/list"), 401, "unauthenticated")
        problem(try client.request("GET", "/v1/shops/north/orders/list", headers: ["Authorization": "Bearer souk_nope"]), 401, "unauthenticated")
        problem(try client.request("GET", "/v1/shops/north/orders/list", headers: ["Authorization": "Basic abc"]), 401, "unauthenticated")
        problem(try client.request("GET", "/v1/shops/nowhere/orders/list", headers: auth(owner)), 404, "not_found")
        problem(try client.request("GET", "/v1/shops/north/no/such/thing", headers: auth(owner)), 404, "not_found")
        let bruno = try server.token("bruno@demo.souk")
        problem(try client.request("POST", "/v1/shops/north/shop/update", body: #"{"name":"Mine"}"#, headers: auth(bruno)), 403, "permission_denied")
        problem(try client.request("POST", "/v1/auth/sign-in", body: #"{"email":"amira@demo.souk","password":"wrong-password"}"#), 401, "unauthenticated")
    }

    func testBadInputIsRefusedAndChangesNothing() throws {
        let client = try server.client()
        let before = try server.auditCount()
        let orders = try client.request("GET", "/v1/shops/north/orders/list", headers: auth(owner)).json["items"]?.arrayValue?.count
        let cases: [(String, Int, String)] = [
            (#"{"lines":["CUP-STONE:1"]"#, 400, "bad_request"),                     // truncated JSON
            (#"["CUP-STONE:1"]"#, 400, "bad_request"),                                // not an object
            (#"{"lines":"CUP-STONE:1","customer":"one"}"#, 422, "invalid_input"), // wrong type
            (#"{"lines":["CUP-STONE:1"],"colour":"red"}"#, 422, "invalid_input"), // unknown field
            (#"{"lines":["CUP-STONE:-3"]}"#, 422, "invalid_input"),             // negative quantity
            (#"{"lines":["CUP-STONE:1"],"customer":123456789012345678901234567890}"#, 400, "bad_request"), // huge number
            (#"{"lines":["CUP-STONE:1"],"customer":1.5}"#, 400, "bad_request"),       // not a whole number
            (#"{"lines":["NO-SUCH-SKU:1"]}"#, 422, "invalid_input"),
        ]
        for (body, status, code) in cases {
            let response = try client.request("POST", "/v1/shops/north/orders/place", body: body, headers: auth(owner))
            XCTAssertEqual(response.status, status, "\(body): \(response.text)")
            XCTAssertEqual(response.json["code"]?.stringValue, code, "\(body): \(response.text)")
        }
        let text = try client.request("POST", "/v1/shops/north/orders/place", body: "lines=CUP", headers: auth(owner).merging(["Content-Type": "text/plain"]) { $1 })
        XCTAssertEqual(text.status, 415)
        XCTAssertEqual(try server.auditCount(), before, "refused requests wrote audit entries")
        XCTAssertEqual(try client.request("GET", "/v1/shops/north/orders/list", headers: auth(owner)).json["items"]?.arrayValue?.count, orders)
        // Reads take parameters, typed by the operation's fields.
        let badLimit = try client.request("GET", "/v1/shops/north/orders/list?limit=lots", headers: auth(owner))
        XCTAssertEqual(badLimit.status, 422, badLimit.text)
        XCTAssertEqual(badLimit.json["field"]?.stringValue, "limit")
        let unknown = try client.request("GET", "/v1/shops/north/orders/list?colour=red", headers: auth(owner))
        XCTAssertEqual(unknown.status, 422, unknown.text)
    }

    func testStaffOfAnotherShopAndExpiredTokensAreRefused() throws {
        let client = try server.client()
        let dana = try server.token("dana@demo.souk")   // auditor of south only
        XCTAssertEqual(try client.request("GET", "/v1/shops/south/shop/show", headers: auth(dana)).status, 200)
        let other = try client.request("GET", "/v1/shops/north/orders/list", headers: auth(dana))
        XCTAssertEqual(other.status, 403, other.text)
        // A platform operation narrowed to a shop, as `--shop` does in the CLI: the shop's
        // auditor reads its audit log there, not the installation's.
        let shopAudit = try client.request("GET", "/v1/shops/south/audit/list?limit=5", headers: auth(dana))
        XCTAssertEqual(shopAudit.status, 200, shopAudit.text)
        XCTAssertEqual(try client.request("GET", "/v1/audit/list", headers: auth(dana)).status, 403)
        XCTAssertEqual(try client.request("GET", "/v1/shops/north/audit/list", headers: auth(dana)).status, 403)
        server.clock.advance(by: 13 * 3600)
        let expired = try client.request("GET", "/v1/shops/south/shop/show", headers: auth(dana))
        XCTAssertEqual(expired.status, 401, expired.text)
        XCTAssertEqual(expired.header("WWW-Authenticate"), "Bearer realm=\"souk\"")
    }

    func testSignOutEndsTheToken() throws {
        let client = try server.client()
        let token = try server.token("chen@demo.souk")
        XCTAssertEqual(try client.request("POST", "/v1/auth/sign-out", headers: auth(token)).status, 200)
        XCTAssertEqual(try client.request("GET", "/v1/shops/north/orders/list", headers: auth(token)).status, 401)
    }

    func testIdempotencyKeyReplaysTheFirstResult() throws {
        let client = try server.client()
        let headers = auth(owner).merging(["Idempotency-Key": "order-42"]) { $1 }
        let first = try client.request("POST", "/v1/shops/north/orders/place", body: #"{"lines":["CUP-STONE:1"]}"#, headers: headers)
        let again = try client.request("POST", "/v1/shops/north/orders/place", body: #"{"lines":["CUP-STONE:1"]}"#, headers: headers)
        XCTAssertEqual(first.status, 200, first.text)
        XCTAssertEqual(first.json["number"], again.json["number"])
        let different = try client.request("POST", "/v1/shops/north/orders/place", body: #"{"lines":["CUP-STONE:2"]}"#, headers: headers)
        XCTAssertEqual(different.status, 409, different.text)
        let bad = try client.request("POST", "/v1/shops/north/orders/place", body: #"{"lines":["CUP-STONE:1"]}"#,
                                     headers: auth(owner).merging(["Idempotency-Key": "spaces are bad"]) { $1 })
        XCTAssertEqual(bad.status, 422)
    }

    func testReadsCarryETagsAndAnswerIfNoneMatch() throws {
        let client = try server.client()
        let first = try client.request("GET", "/v1/shops/north/shop/show", headers: auth(owner))
        let tag = try XCTUnwrap(first.header("ETag"))
        let unchanged = try client.request("GET", "/v1/shops/north/shop/show", headers: auth(owner).merging(["If-None-Match": tag]) { $1 })
        XCTAssertEqual(unchanged.status, 304)
        XCTAssertTrue(unchanged.body.isEmpty)
        XCTAssertEqual(try client.request("POST", "/v1/shops/north/shop/update", body: #"{"phone":"+33 9 99"}"#, headers: auth(owner)).status, 200)
        let changed = try client.request("GET", "/v1/shops/north/shop/show", headers: auth(owner).merging(["If-None-Match": tag]) { $1 })
        XCTAssertEqual(changed.status, 200)
        XCTAssertNotEqual(changed.header("ETag"), tag)
    }

    /// A product read is answered from memory while nothing changes (on the I/O thread),
    /// with the same ETag, 304 and request id as any read; a commit from another connection,
    /// such as a sign-out by another process, is seen by the very next request.
    func testReusedReadsFollowOtherConnectionsCommits() throws {
        let client = try server.client()
        let path = "/v1/shops/north/catalog/product/show?handle=green-tea"
        let first = try client.request("GET", path, headers: auth(owner))
        XCTAssertEqual(first.status, 200, first.text)
        let tag = try XCTUnwrap(first.header("ETag"))
        XCTAssertEqual(server.kernel.reusableAnswerCount, 1)
        let again = try client.request("GET", path, headers: auth(owner).merging(["X-Request-Id": "reused-1"]) { $1 })
        XCTAssertEqual(again.text, first.text)
        XCTAssertEqual(again.header("ETag"), tag)
        XCTAssertEqual(again.header("X-Request-Id"), "reused-1")
        let notModified = try client.request("GET", path, headers: auth(owner).merging(["If-None-Match": tag]) { $1 })
        XCTAssertEqual(notModified.status, 304)
        let head = try client.request("HEAD", path, headers: auth(owner))
        XCTAssertEqual(head.header("Content-Length"), String(first.body.count))
        XCTAssertEqual(try client.request("GET", path).status, 401, "no token: never answered from memory")
        let metrics = try client.request("GET", "/metrics").text
        let hits = metrics.split(separator: "\n").first { $0.hasPrefix("souk_read_cache_hits_total ") }
            .flatMap { Int($0.split(separator: " ")[1]) }
        XCTAssertGreaterThanOrEqual(hits ?? 0, 2, metrics)
        XCTAssertTrue(metrics.contains("souk_read_cache_answers 1\n"), metrics)

        let other = try Kernel(dataDirectory: server.directory.file("data"), plugins: APIServer.plugins(), clock: server.clock)
        let amira = try other.context(for: try other.verifyPassword(email: "amira@demo.souk", password: APIServer.password), shopCode: "north")
        try other.perform("catalog.product.update", input: ["handle": "green-tea", "title": "Gyokuro"], context: amira)
        let renamed = try client.request("GET", path, headers: auth(owner))
        XCTAssertEqual(renamed.json["title"], "Gyokuro", renamed.text)
        XCTAssertNotEqual(renamed.header("ETag"), tag)

        try other.signOut(token: owner)
        let signedOut = try client.request("GET", path, headers: auth(owner))
        XCTAssertEqual(signedOut.status, 401, signedOut.text)
    }

    /// Writes that arrive together are committed together (`handleBatch`), each answered as
    /// if alone: a bad one gets its own error and changes nothing.
    func testBatchedWritesAreAnsweredEachAsAlone() throws {
        func post(_ path: String, _ body: String, token: String?) -> HTTPRequest {
            var headers = [HTTPHeader(name: "Host", value: "test"), HTTPHeader(name: "Content-Type", value: "application/json")]
            if let token { headers.append(HTTPHeader(name: "Authorization", value: "Bearer \(token)")) }
            return HTTPRequest(method: "POST", target: path, path: path, headers: headers, body: Array(body.utf8), remoteAddress: "127.0.0.1")
        }
        let place = "/v1/shops/north/orders/place"
        let count = { try self.server.kernel.store.read { try $0.query("SELECT COUNT(*) AS n FROM orders_orders")[0].int("n") } }
        let before = try count()
        let requests = [
            post(place, #"{"lines":["CUP-STONE:1"]}"#, token: owner),
            post(place, #"{"lines":["CUP-STONE:1"]"#, token: owner),               // broken JSON
            post(place, #"{"lines":["CUP-STONE:1"],"colour":"red"}"#, token: owner), // unknown field
            post(place, #"{"lines":["CUP-STONE:1"]}"#, token: "souk_wrong"),         // bad token
            post(place, #"{"lines":["NOPE:1"]}"#, token: owner),                     // refused by pricing
            post(place, #"{"lines":["TEA-GREEN-100:2"]}"#, token: owner),
        ]
        XCTAssertTrue(requests.allSatisfy(server.api.isBatchable))
        let responses = server.api.handleBatch(requests)
        XCTAssertEqual(responses.map(\.status), [200, 400, 422, 401, 422, 200])
        XCTAssertTrue(responses.allSatisfy { $0.header("X-Request-Id") != nil })
        XCTAssertEqual(try count(), before + 2)
        XCTAssertFalse(server.api.isBatchable(HTTPRequest(method: "GET", target: "/v1/shops/north/orders/list",
                                                          path: "/v1/shops/north/orders/list")))
        XCTAssertFalse(server.api.isBatchable(post("/v1/auth/sign-in", "{}", token: nil)))
    }

    /// Many clients checking out at once over real sockets: every order is answered and placed once.
    func testConcurrentCheckoutsOverSocketsAllLand() throws {
        let count = { try self.server.kernel.store.read { try $0.query("SELECT COUNT(*) AS n FROM orders_orders")[0].int("n") } }
        try server.kernel.perform("inventory.adjust", input: ["sku": "CUP-STONE", "quantity": 1000, "reason": "received"],
                                  context: try server.kernel.context(token: owner, shopCode: "north"))
        let before = try count()
        final class Outcomes: @unchecked Sendable {
            let lock = NSLock()
            var statuses: [Int] = []
            var numbers: Set<String> = []
        }
        let outcomes = Outcomes()
        let port = server.port, token = owner!
        DispatchQueue.concurrentPerform(iterations: 24) { _ in
            let response = try? TestClient(port: port).request("POST", "/v1/shops/north/orders/place", body: #"{"lines":["CUP-STONE:1"]}"#,
                                                               headers: ["Authorization": "Bearer \(token)"])
            outcomes.lock.lock()
            outcomes.statuses.append(response?.status ?? 0)
            if let number = response?.json["number"]?.stringValue { outcomes.numbers.insert(number) }
            outcomes.lock.unlock()
        }
        let seen = outcomes.statuses, numbers = outcomes.numbers
        XCTAssertEqual(seen.filter { $0 == 200 }.count, 24, "\(seen)")
        XCTAssertEqual(numbers.count, 24)
        XCTAssertEqual(try count(), before + 24)
    }

    func testListsFollowCursorsThroughLinkHeaders() throws {
        let client = try server.client()
        var target = "/v1/shops/north/catalog/product/list?limit=1"
        var seen: [Value] = []
        for _ in 0..<10 {
            let page = try client.request("GET", target, headers: auth(owner))
            XCTAssertEqual(page.status, 200, page.text)
            seen += page.json["items"]?.arrayValue ?? []
            guard let link = page.header("Link") else { break }
            XCTAssertTrue(link.hasSuffix("; rel=\"next\""), link)
            target = String(link.dropFirst().prefix { $0 != ">" })
        }
        XCTAssertEqual(seen.count, 3, "the demo has three products, one per page")
        XCTAssertEqual(Set(seen.compactMap { $0["handle"]?.stringValue }).count, 3)
    }

    func testAuditListFollowsLinkHeadersWithoutRepeatsOrGaps() throws {
        // audit.list is a platform operation (/v1/audit/list): over HTTP it has no shop, so
        // it reads the whole installation and needs an operator.
        let client = try server.client()
        let operatorToken = try server.token("operator@demo.souk")
        let all = try client.request("GET", "/v1/audit/list?limit=10000", headers: auth(operatorToken))
        XCTAssertEqual(all.status, 200, all.text)
        XCTAssertNil(all.header("Link"), "one page holds everything")
        let expected = try XCTUnwrap(all.json["items"]?.arrayValue)
        XCTAssertGreaterThan(expected.count, 10, "the demo writes an audit trail")
        var target = "/v1/audit/list?limit=7"
        var seen: [Value] = []
        for _ in 0..<(expected.count / 7 + 2) {
            let page = try client.request("GET", target, headers: auth(operatorToken))
            XCTAssertEqual(page.status, 200, page.text)
            seen += page.json["items"]?.arrayValue ?? []
            guard let link = page.header("Link") else { break }
            XCTAssertTrue(link.hasPrefix("</v1/audit/list?limit=7&cursor=") && link.hasSuffix(">; rel=\"next\""), link)
            target = String(link.dropFirst().prefix { $0 != ">" })
        }
        XCTAssertEqual(seen.count, expected.count)
        XCTAssertEqual(seen, expected, "every entry once, newest first")
        let refused = try client.request("GET", "/v1/audit/list?limit=1", headers: auth(owner))
        XCTAssertEqual(refused.status, 403, "without a shop only an operator reads the audit log")
    }

    func testRequestIDsAreEchoedAndWrittenToTheAuditLog() throws {
        let client = try server.client()
        let response = try client.request("POST", "/v1/shops/north/shop/update", body: #"{"phone":"+33 1 11"}"#,
                                          headers: auth(owner).merging(["X-Request-Id": "trace-abc-123"]) { $1 })
        XCTAssertEqual(response.status, 200, response.text)
        XCTAssertEqual(response.header("X-Request-Id"), "trace-abc-123")
        let audited = try server.kernel.store.read {
            try $0.query("SELECT operation FROM souk_audit WHERE correlation_id = 'trace-abc-123'").map { try $0.string("operation") }
        }
        XCTAssertEqual(audited, ["shop.update"])
        let generated = try client.request("GET", "/healthz")
        XCTAssertTrue(generated.header("X-Request-Id")?.hasPrefix("req_") ?? false)
    }

    func testHealthReadinessAndMetrics() throws {
        let client = try server.client()
        XCTAssertEqual(try client.request("GET", "/healthz").text, "ok\n")
        XCTAssertEqual(try client.request("GET", "/readyz").status, 200)
        XCTAssertEqual(try client.request("POST", "/v1/shops/north/orders/place", body: #"{"lines":["CUP-STONE:1"]}"#, headers: auth(owner)).status, 200)
        let metrics = try client.request("GET", "/metrics").text
        XCTAssertTrue(metrics.contains("souk_orders_placed_total 1\n"), metrics)
        XCTAssertTrue(metrics.contains("souk_http_requests_total{method=\"POST\",status=\"200\"}"), metrics)
        XCTAssertTrue(metrics.contains("souk_http_request_duration_seconds_count"), metrics)
        XCTAssertTrue(metrics.contains("souk_outbox_backlog "), metrics)
        server.api.beginShutdown()
        XCTAssertEqual(try client.request("GET", "/readyz").status, 503)
    }

    func testOpenAPIDescribesEveryOperation() throws {
        let response = try server.client().request("GET", "/v1/openapi.json")
        XCTAssertEqual(response.status, 200)
        let document = response.json
        XCTAssertEqual(document["openapi"]?.stringValue, "3.1.0")
        let paths = try XCTUnwrap(document["paths"]?.objectValue)
        for operation in server.kernel.allOperations {
            let tail = operation.name.split(separator: ".").joined(separator: "/")
            let path = operation.scope == .shop ? "/v1/shops/{shop}/\(tail)" : "/v1/\(tail)"
            let method = operation.mutates ? "post" : "get"
            XCTAssertEqual(paths[path]?[method]?["operationId"]?.stringValue, operation.name, path)
        }
        let place = paths["/v1/shops/{shop}/orders/place"]?["post"]?["requestBody"]?["content"]?["application/json"]?["schema"]
        XCTAssertEqual(place?["additionalProperties"], .bool(false))
        XCTAssertEqual(place?["required"], ["lines"])
    }

    func testSplitAndPipelinedRequestsWork() throws {
        let client = try server.client()
        let one = "GET /v1/shops/north/shop/show HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(owner!)\r\n\r\n"
        client.sendRaw(one + one + "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(try client.readResponse().status, 200)
        XCTAssertEqual(try client.readResponse().status, 200)
        XCTAssertEqual(try client.readResponse().text, "ok\n")
        let body = #"{"phone":"+33 2 22"}"#
        let post = Array("POST /v1/shops/north/shop/update HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(owner!)\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)".utf8)
        for byte in post { client.sendRaw([byte]) }
        XCTAssertEqual(try client.readResponse().status, 200)
    }

    func testHEADAnswersWithTheLengthOfGETAndOddMethodsStayOneLabel() throws {
        let client = try server.client()
        let get = try client.request("GET", "/v1/shops/north/shop/show", headers: auth(owner))
        let head = try client.request("HEAD", "/v1/shops/north/shop/show", headers: auth(owner))
        XCTAssertEqual(head.status, 200)
        XCTAssertTrue(head.body.isEmpty)
        XCTAssertEqual(head.header("Content-Length"), String(get.body.count))
        for index in 0..<5 { _ = try client.request("BREW\(index)", "/healthz") }
        let metrics = try client.request("GET", "/metrics").text
        XCTAssertFalse(metrics.contains("BREW"), metrics)
        XCTAssertTrue(metrics.contains("method=\"OTHER\""), metrics)
    }

    func testGatewayCallbacksNeedNoTokenButAValidSignature() throws {
        let client = try server.client()
        let secret = "whsec-test-123"
        XCTAssertEqual(try client.request("POST", "/v1/shops/north/settings/set",
                                          body: #"{"plugin":"payment","key":"webhook_secret","value":"\#(secret)"}"#, headers: auth(owner)).status, 200)
        let timestamp = Int64(server.clock.now().timeIntervalSince1970)
        let payload = #"{"reference":"no-such-payment","event":"payment.succeeded","amount":900,"timestamp":\#(timestamp)}"#
        func body(_ signature: String) -> String {
            let escaped = payload.replacingOccurrences(of: "\"", with: "\\\"")
            return #"{"payload":"\#(escaped)","signature":"\#(signature)"}"#
        }
        let forged = try client.request("POST", "/v1/shops/north/payment/webhook", body: body(String(repeating: "0", count: 64)))
        XCTAssertEqual(forged.status, 403, forged.text)
        let actors = try server.kernel.store.read {
            try $0.query("SELECT actor, outcome FROM souk_audit WHERE operation = 'payment.webhook'").map { "\(try $0.string("actor")) \(try $0.string("outcome"))" }
        }
        XCTAssertEqual(actors, ["plugin:payment denied"], "the refused callback is audited as the payment plugin's")
        let signature = Hex.encode(HMAC.sha256(key: Array(secret.utf8), message: Array("\(timestamp).\(payload)".utf8)))
        let genuine = try client.request("POST", "/v1/shops/north/payment/webhook", body: body(signature))
        XCTAssertEqual(genuine.status, 404, "signed, so it reaches the lookup of the payment: \(genuine.text)")

        // A card payment the gateway confirms later: the verified callback pays the order,
        // which takes `orders.pay` on the payment plugin's behalf.
        XCTAssertEqual(try client.request("POST", "/v1/shops/north/payment/method/configure", body: #"{"code":"sandbox"}"#,
                                          headers: auth(owner)).status, 200)
        let number = try XCTUnwrap(try client.request("POST", "/v1/shops/north/orders/place", body: #"{"lines":["CUP-STONE:1"]}"#,
                                                      headers: auth(owner)).json["number"]?.stringValue)
        let pending = try client.request("POST", "/v1/shops/north/payment/authorize",
                                         body: #"{"order":"\#(number)","method":"sandbox","card":"4000000000003220","idempotency_key":"pay-1"}"#,
                                         headers: auth(owner))
        XCTAssertEqual(pending.json["outcome"]?.stringValue, "pending", pending.text)
        let reference = try XCTUnwrap(pending.json["payment"]?["reference"]?.stringValue)
        let amount = try XCTUnwrap(pending.json["payment"]?["amount"]?["amount"]?.intValue)
        let confirmation = #"{"reference":"\#(reference)","event":"payment.succeeded","amount":\#(amount),"timestamp":\#(timestamp)}"#
        let confirmationSignature = Hex.encode(HMAC.sha256(key: Array(secret.utf8), message: Array("\(timestamp).\(confirmation)".utf8)))
        let escaped = confirmation.replacingOccurrences(of: "\"", with: "\\\"")
        let paid = try client.request("POST", "/v1/shops/north/payment/webhook",
                                      body: #"{"payload":"\#(escaped)","signature":"\#(confirmationSignature)"}"#)
        XCTAssertEqual(paid.status, 200, paid.text)
        let order = try client.request("GET", "/v1/shops/north/orders/show?order=\(number)", headers: auth(owner))
        XCTAssertEqual(order.json["status"]?.stringValue, "paid", order.text)
        // Staff-only routes still need a token.
        XCTAssertEqual(try client.request("POST", "/v1/shops/north/payment/refund", body: "{}").status, 401)
    }
}
