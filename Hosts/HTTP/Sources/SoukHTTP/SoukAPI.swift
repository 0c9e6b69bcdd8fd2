import Foundation
import HTTPServer
import Kernel

/// The HTTP face of a kernel: every registered operation as a JSON endpoint (see
/// `OperationRoutes`), staff sign-in, the OpenAPI document, health and metrics.
///
/// Called on the server's worker threads; it holds no per-request state of its own.
public final class SoukAPI: HTTPHandler, @unchecked Sendable {
    let kernel: Kernel
    let routes: OperationRoutes
    let metrics = Metrics()
    /// The OpenAPI document, built once: the registry is sealed after start-up.
    let openAPI: [UInt8]
    /// Extra metric lines from the server (open connections, refusals), set by the host.
    public var serverMetrics: (@Sendable () -> [(name: String, help: String, value: Int)])?
    /// False once shutdown has begun, so that `/readyz` turns load balancers away.
    private let readiness = Readiness()

    /// Throttles sign-ins and the storefront writes open to every visitor, per address.
    let anonymousWrites: RateLimiter
    /// Throttles integration calls made without a token (gateway callbacks), per address.
    let integrationCalls = RateLimiter(.init(perSecond: 10, burst: 100))

    /// `anonymousWriteLimit`: requests per second (and burst) per address for staff sign-in
    /// and for the storefront writes every visitor may make (guest session, register, sign in).
    public init(kernel: Kernel, anonymousWriteLimit: (perSecond: Double, burst: Double) = (5, 30)) {
        self.kernel = kernel
        self.anonymousWrites = RateLimiter(.init(perSecond: anonymousWriteLimit.perSecond, burst: anonymousWriteLimit.burst))
        self.routes = OperationRoutes(kernel.allOperations)
        self.openAPI = Array(JSON.encode(OpenAPIDocument.build(kernel)).utf8)
    }

    public func beginShutdown() { readiness.set(false) }

    public func handle(_ request: HTTPRequest) -> HTTPResponse {
        let started = DispatchTime.now().uptimeNanoseconds
        let requestID = Self.requestID(from: request)
        var response = route(request, requestID: requestID)
        response.headers.append(HTTPHeader(name: "X-Request-Id", value: requestID))
        // HEAD: the server sends the headers of the GET answer (its Content-Length too) and
        // no body.
        metrics.record(method: request.method, status: response.status, nanos: DispatchTime.now().uptimeNanoseconds &- started)
        return response
    }

    private func route(_ request: HTTPRequest, requestID: String) -> HTTPResponse {
        guard request.path.hasPrefix("/"), !Self.hasEmptySegment(request.path) || request.path == "/" else {
            return Problem(status: 404, code: "not_found", detail: "no such path: \(request.path.prefix(200))").response(requestID: requestID)
        }
        switch request.path {
        case "/healthz": return plain(request, "ok\n", requestID: requestID)
        case "/readyz": return ready(request, requestID: requestID)
        case "/metrics": return metricsResponse(request, requestID: requestID)
        case "/v1/openapi.json":
            guard request.method == "GET" || request.method == "HEAD" else { return notAllowed("GET, HEAD", requestID: requestID) }
            return json(status: 200, openAPI, request: request, cacheable: true)
        case "/v1/auth/sign-in": return signIn(request, requestID: requestID)
        case "/v1/auth/sign-out": return signOut(request, requestID: requestID)
        default: break
        }
        guard request.path.hasPrefix("/v1/") else {
            return Problem(status: 404, code: "not_found", detail: "no such path: \(request.path.prefix(200)); the API is under /v1 (see /v1/openapi.json)")
                .response(requestID: requestID)
        }
        switch routes.match(method: request.method, path: request.path.dropFirst(4)) {
        case .failure(.notFound):
            return Problem(status: 404, code: "not_found", detail: "no operation at \(request.path.prefix(200)) (see /v1/openapi.json)")
                .response(requestID: requestID)
        case .failure(.wrongMethod(let allowed)):
            return notAllowed(allowed, requestID: requestID)
        case .success(let match):
            return perform(match, request, requestID: requestID)
        }
    }

    // MARK: Operations

    // MARK: Group commit

    /// Mutations of operations (not sign-in, not gateway callbacks) are committed together
    /// when several arrive at once.
    public func isBatchable(_ request: HTTPRequest) -> Bool {
        guard request.method == "POST", request.path.hasPrefix("/v1/"), !Self.hasEmptySegment(request.path),
              case .success(let match) = routes.match(method: "POST", path: request.path.dropFirst(4)) else { return false }
        return match.operation.mutates && match.operation.audience != .integration
    }

    /// Prepares each request as `handle` would (throttles, input, context), then performs the
    /// mutations in one write transaction (`Kernel.performAll`). Answers, errors, request
    /// ids and metrics are those each request would get alone.
    public func handleBatch(_ requests: [HTTPRequest]) -> [HTTPResponse] {
        let started = DispatchTime.now().uptimeNanoseconds
        let requestIDs = requests.map(Self.requestID(from:))
        var responses = [HTTPResponse?](repeating: nil, count: requests.count)
        var prepared: [(index: Int, operation: OperationSpec, request: Kernel.Request)] = []
        for (index, request) in requests.enumerated() {
            guard case .success(let match) = routes.match(method: request.method, path: request.path.dropFirst(4)),
                  match.operation.mutates else {
                responses[index] = route(request, requestID: requestIDs[index])
                continue
            }
            switch prepare(match, request, requestID: requestIDs[index]) {
            case .success(let ready): prepared.append((index, match.operation, ready))
            case .failure(let refusal): responses[index] = refusal.response
            }
        }
        let results = kernel.performAll(prepared.map(\.request))
        for (item, result) in zip(prepared, results) {
            switch result {
            case .success(let answer): responses[item.index] = success(answer, of: item.operation, request: requests[item.index])
            case .failure(let error): responses[item.index] = problem(error, requestID: requestIDs[item.index])
            }
        }
        let elapsed = DispatchTime.now().uptimeNanoseconds &- started
        return zip(requests, zip(responses, requestIDs)).map { request, pair in
            var response = pair.0!
            response.headers.append(HTTPHeader(name: "X-Request-Id", value: pair.1))
            metrics.record(method: request.method, status: response.status, nanos: elapsed)
            return response
        }
    }

    /// A ready-made refusal, as an error so that `prepare` can return it in a `Result`.
    struct Refusal: Error {
        let response: HTTPResponse
    }

    /// Throttles, the request's input and its caller's context: everything before the
    /// operation runs.
    private func prepare(_ match: OperationRoutes.Match, _ request: HTTPRequest,
                         requestID: String) -> Result<Kernel.Request, Refusal> {
        let operation = match.operation
        if operation.mutates, operation.audience == .shopper, operation.permission == ShopperPermission.browse,
           let retry = anonymousWrites.take(request.remoteAddress) {
            return .failure(Refusal(response: tooMany(retry, requestID: requestID)))
        }
        if operation.audience == .integration, request.header("Authorization") == nil,
           let retry = integrationCalls.take(request.remoteAddress) {
            return .failure(Refusal(response: tooMany(retry, requestID: requestID)))
        }
        do {
            let input = try RequestInput.decode(request, for: operation)
            let context = try self.context(for: operation, shopCode: match.shopCode, request: request, requestID: requestID)
            return .success(Kernel.Request(operation.name, input: input, context: context))
        } catch RequestInputError.unsupportedMediaType(let type) {
            return .failure(Refusal(response: Problem(status: 415, code: "unsupported_media_type",
                                                      detail: "send the body as application/json, not \(type.prefix(100))")
                .response(requestID: requestID)))
        } catch {
            return .failure(Refusal(response: problem(KernelError.wrap(error), requestID: requestID)))
        }
    }

    private func perform(_ match: OperationRoutes.Match, _ request: HTTPRequest, requestID: String) -> HTTPResponse {
        switch prepare(match, request, requestID: requestID) {
        case .failure(let refusal):
            return refusal.response
        case .success(let ready):
            do {
                return success(try kernel.answer(ready.name, input: ready.input, context: ready.context), of: match.operation,
                               request: request)
            } catch {
                return problem(KernelError.wrap(error), requestID: requestID)
            }
        }
    }

    private func success(_ answer: Answer, of operation: OperationSpec, request: HTTPRequest) -> HTTPResponse {
        guard !operation.mutates else { return json(status: 200, answer.json, request: request, cacheable: false) }
        var response = json(status: 200, answer.json, request: request, cacheable: true, tag: answer.entityTag)
        if let next = Pagination.nextLink(answer.value, request: request) {
            response.headers.append(HTTPHeader(name: "Link", value: next))
        }
        return response
    }

    // MARK: Answers from memory

    /// Called on the I/O thread: `/healthz`, and staff or storefront reads whose answer,
    /// session, shop and permissions the kernel holds in its read cache for the
    /// database as it is now (`Kernel.reusedAnswer`). Anything else, refusals included,
    /// goes to the workers and `handle`.
    public func respondWithoutWaiting(_ request: HTTPRequest) -> HTTPResponse? {
        guard request.method == "GET" || request.method == "HEAD" else { return nil }
        let started = DispatchTime.now().uptimeNanoseconds
        if request.path == "/healthz" { return finish(plain(request, "ok\n", requestID: ""), request, started: started) }
        guard request.path.hasPrefix("/v1/") else { return nil }
        let token: String?
        do {
            token = try Self.bearerToken(request)
            _ = try Self.idempotencyKey(request)  // a malformed one gets its 400 from `handle`
        } catch { return nil }
        guard !Self.hasEmptySegment(request.path),
              case .success(let match) = routes.match(method: request.method, path: request.path.dropFirst(4)),
              !match.operation.mutates,
              let input = try? RequestInput.decode(request, for: match.operation),
              let answer = kernel.reusedAnswer(match.operation.name, input: input, token: token, shopCode: match.shopCode)
        else { return nil }
        return finish(success(answer, of: match.operation, request: request), request, started: started)
    }

    private func finish(_ response: HTTPResponse, _ request: HTTPRequest, started: UInt64) -> HTTPResponse {
        var response = response
        response.headers.append(HTTPHeader(name: "X-Request-Id", value: Self.requestID(from: request)))
        metrics.record(method: request.method, status: response.status, nanos: DispatchTime.now().uptimeNanoseconds &- started)
        return response
    }

    /// A problem response; server-side failures are logged in full and answered without
    /// their internals (SQLite messages, paths), with the request id to quote.
    private func problem(_ error: KernelError, requestID: String) -> HTTPResponse {
        let status = HTTPStatus.of(error.code)
        guard status >= 500 else { return Problem(error).response(requestID: requestID) }
        Self.log("souk serve: \(requestID): \(error.code.rawValue): \(error.message)\n")
        let detail = error.code == .storage
            ? "the database is busy or unavailable; retry shortly (request \(requestID))"
            : "the server failed on this request; it has been logged as \(requestID)"
        return Problem(status: status, code: error.code.rawValue, detail: detail).response(requestID: requestID)
    }

    static func log(_ line: String) {
        let bytes = Array(line.utf8)
        _ = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }

    private func tooMany(_ retryAfter: Int, requestID: String) -> HTTPResponse {
        var response = Problem(status: 429, code: "rate_limited",
                               detail: "too many sign-ins or storefront sign-ups from this address; retry in \(retryAfter) s")
            .response(requestID: requestID)
        response.headers.append(HTTPHeader(name: "Retry-After", value: String(retryAfter)))
        return response
    }

    /// Staff routes take a staff bearer token; storefront routes a shopper token or none.
    private func context(for operation: OperationSpec, shopCode: String?, request: HTTPRequest,
                         requestID: String) throws -> OperationContext {
        let token = try Self.bearerToken(request)
        let key = try Self.idempotencyKey(request)
        if operation.audience == .shopper {
            if let token, !token.hasPrefix(ShopperSession.tokenPrefix) {
                throw KernelError(.unauthenticated, "storefront routes take a shopper token (from storefront/session/start or account sign-in), not a staff token")
            }
            return try kernel.shopperContext(token: token, shopCode: shopCode ?? "", correlationID: requestID, idempotencyKey: key)
        }
        if operation.audience == .integration, token == nil {
            return try kernel.integrationContext(for: operation, shopCode: shopCode, correlationID: requestID, idempotencyKey: key)
        }
        guard let token else {
            throw KernelError(.unauthenticated, "\(operation.name) needs a staff bearer token: sign in with POST /v1/auth/sign-in")
        }
        guard !token.hasPrefix(ShopperSession.tokenPrefix) else {
            throw KernelError(.unauthenticated, "a shopper token cannot call back-office operations")
        }
        return try kernel.context(token: token, shopCode: shopCode, correlationID: requestID, idempotencyKey: key)
    }

    // MARK: Sign-in

    private func signIn(_ request: HTTPRequest, requestID: String) -> HTTPResponse {
        guard request.method == "POST" else { return notAllowed("POST", requestID: requestID) }
        if let retry = anonymousWrites.take(request.remoteAddress) { return tooMany(retry, requestID: requestID) }
        do {
            let body = try RequestInput.body(request, operation: Self.signInSpec)
            let input = try Self.signInSpec.validate(body)
            let session = try kernel.signIn(email: try input.string("email"), password: try input.string("password"))
            let result: Value = ["token": .string(session.token), "staff": .string(session.staff.email),
                                 "expires_at": .string(Validation.isoString(millis: session.expiresAt))]
            return json(status: 200, Array(JSON.encode(result).utf8), request: request, cacheable: false)
        } catch RequestInputError.unsupportedMediaType(let type) {
            return Problem(status: 415, code: "unsupported_media_type", detail: "send the body as application/json, not \(type.prefix(100))")
                .response(requestID: requestID)
        } catch {
            return problem(KernelError.wrap(error), requestID: requestID)
        }
    }

    private func signOut(_ request: HTTPRequest, requestID: String) -> HTTPResponse {
        guard request.method == "POST" else { return notAllowed("POST", requestID: requestID) }
        do {
            guard let token = try Self.bearerToken(request) else {
                throw KernelError(.unauthenticated, "sign-out needs the staff bearer token to end")
            }
            try kernel.signOut(token: token)
            return json(status: 200, Array(#"{"signed_out":true}"#.utf8), request: request, cacheable: false)
        } catch {
            return problem(KernelError.wrap(error), requestID: requestID)
        }
    }

    /// Described like an operation so that the same validation (and OpenAPI) applies.
    static let signInSpec = OperationSpec(
        name: "auth.sign_in", summary: "Sign in as staff; returns a bearer token",
        fields: [Field("email", .email, required: true, help: "staff email"),
                 Field("password", required: true, help: "password", secret: true)],
        permission: nil, mutates: true, scope: .platform) { _ in .null }

    // MARK: Health and metrics

    private func ready(_ request: HTTPRequest, requestID: String) -> HTTPResponse {
        guard readiness.value else {
            return Problem(status: 503, code: "shutting_down", detail: "the server is shutting down").response(requestID: requestID)
        }
        do {
            _ = try kernel.store.read { tx in try tx.query("SELECT 1 AS ok") }
            return plain(request, "ready\n", requestID: requestID)
        } catch {
            return Problem(status: 503, code: "storage_error", detail: "the database cannot be read: \(KernelError.wrap(error).message)")
                .response(requestID: requestID)
        }
    }

    private func metricsResponse(_ request: HTTPRequest, requestID: String) -> HTTPResponse {
        var extra: [(help: String, type: String, name: String, samples: [(labels: String, value: String)])] = []
        let events = kernel.eventTally.snapshot
        extra.append(("Orders placed since start.", "counter", "souk_orders_placed_total", [("", String(events["order.placed"] ?? 0))]))
        extra.append(("Events published by committed operations since start, by event.", "counter", "souk_events_published_total",
                      events.keys.sorted().map { ("event=\"\($0)\"", String(events[$0]!)) }))
        let backlog = (try? kernel.outboxBacklog()).map(String.init) ?? "NaN"
        extra.append(("Events waiting in the outbox for delivery.", "gauge", "souk_outbox_backlog", [("", backlog)]))
        let cache = kernel.readCacheStats
        extra.append(("Reusable reads answered from the read cache since start.", "counter", "souk_read_cache_hits_total",
                      [("", String(cache.answerHits))]))
        extra.append(("Reusable reads that found no kept answer (first ask, or the data changed).", "counter",
                      "souk_read_cache_misses_total", [("", String(cache.answerMisses))]))
        extra.append(("Times a commit emptied the read cache.", "counter", "souk_read_cache_resets_total", [("", String(cache.resets))]))
        extra.append(("Answers held in the read cache (0 when SOUK_READ_CACHE=off).", "gauge", "souk_read_cache_answers",
                      [("", String(cache.answersHeld))]))
        for metric in serverMetrics?() ?? [] {
            extra.append((metric.help, metric.name.hasSuffix("_total") ? "counter" : "gauge", metric.name, [("", String(metric.value))]))
        }
        let text = metrics.render(extra: extra)
        return HTTPResponse(status: 200, headers: [HTTPHeader(name: "Content-Type", value: "text/plain; version=0.0.4; charset=utf-8")],
                            body: Array(text.utf8))
    }

    // MARK: Responses

    private func plain(_ request: HTTPRequest, _ text: String, requestID: String) -> HTTPResponse {
        guard request.method == "GET" || request.method == "HEAD" else { return notAllowed("GET, HEAD", requestID: requestID) }
        return HTTPResponse(status: 200, headers: [HTTPHeader(name: "Content-Type", value: "text/plain; charset=utf-8")], body: Array(text.utf8))
    }

    private func notAllowed(_ allowed: String, requestID: String) -> HTTPResponse {
        var response = Problem(status: 405, code: "method_not_allowed", detail: "use \(allowed) for this path").response(requestID: requestID)
        response.headers.append(HTTPHeader(name: "Allow", value: allowed))
        return response
    }

    /// A JSON response; reads carry an `ETag` and answer `If-None-Match` with 304.
    private func json(status: Int, _ body: [UInt8], request: HTTPRequest, cacheable: Bool, tag: String? = nil) -> HTTPResponse {
        var headers = [HTTPHeader(name: "Content-Type", value: "application/json")]
        guard cacheable else {
            headers.append(HTTPHeader(name: "Cache-Control", value: "no-store"))
            return HTTPResponse(status: status, headers: headers, body: body)
        }
        let tag = tag ?? ETag.of(body)
        headers.append(HTTPHeader(name: "ETag", value: tag))
        headers.append(HTTPHeader(name: "Cache-Control", value: "private, no-cache"))
        if let match = request.header("If-None-Match"), ETag.matches(match, tag) {
            return HTTPResponse(status: 304, headers: headers.filter { $0.name != "Content-Type" }, body: [])
        }
        return HTTPResponse(status: status, headers: headers, body: body)
    }

    // MARK: Headers

    /// The client's `X-Request-Id` when it is a sane token, else a new one. It becomes the
    /// correlation id of everything the request does, audit entries included.
    static func requestID(from request: HTTPRequest) -> String {
        if let given = request.header("X-Request-Id"), (1...64).contains(given.utf8.count),
           given.utf8.allSatisfy({ isTokenByte($0) }) {
            return given
        }
        return RequestIDs.next()
    }

    /// `/a//b` and `/a/` name no route.
    static func hasEmptySegment(_ path: String) -> Bool {
        var previousWasSlash = false
        for byte in path.utf8 {
            let isSlash = byte == UInt8(ascii: "/")
            if isSlash && previousWasSlash { return true }
            previousWasSlash = isSlash
        }
        return previousWasSlash
    }

    /// The token of `Authorization: Bearer TOKEN` (the scheme in any case), nil without the
    /// header.
    static func bearerToken(_ request: HTTPRequest) throws -> String? {
        guard let header = request.header("Authorization") else { return nil }
        let bytes = header.utf8
        let scheme = "bearer ".utf8
        guard bytes.count > scheme.count, bytes.count - scheme.count <= 200,
              zip(bytes, scheme).allSatisfy({ ($0 | 0x20) == $1 }),
              let token = String(header.utf8.dropFirst(scheme.count)), !token.hasPrefix(" ")
        else {
            throw KernelError(.unauthenticated, "the Authorization header must be 'Bearer TOKEN'")
        }
        return token
    }

    static func idempotencyKey(_ request: HTTPRequest) throws -> String? {
        guard let key = request.header("Idempotency-Key") else { return nil }
        guard (1...128).contains(key.utf8.count), key.utf8.allSatisfy({ isTokenByte($0) }) else {
            throw KernelError.invalid("Idempotency-Key", "the Idempotency-Key header must be 1-128 letters, digits, '-', '_' or '.'")
        }
        return key
    }

    private static func isTokenByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
            || byte == 0x2D || byte == 0x5F || byte == 0x2E
    }
}

/// A flag read on every `/readyz`, written once at shutdown.
private final class Readiness: @unchecked Sendable {
    private let lock = NSLock()
    private var ready = true
    var value: Bool { lock.lock(); defer { lock.unlock() }; return ready }
    func set(_ value: Bool) { lock.lock(); ready = value; lock.unlock() }
}
