import Kernel

/// The OpenAPI 3.1 description of the API, generated from the operation registry, so a
/// plugin loaded from a `.so` file appears in it like a built-in one.
enum OpenAPIDocument {
    static func build(_ kernel: Kernel) -> Value {
        var paths = Value.Object()
        paths["/v1/auth/sign-in"] = ["post": signInOperation()]
        paths["/v1/auth/sign-out"] = ["post": [
            "operationId": "auth.sign_out", "summary": "End the staff session of the bearer token", "tags": ["auth"],
            "security": [["staffToken": []]],
            "responses": responses(ok: ["type": "object", "properties": ["signed_out": ["type": "boolean"]]]),
        ]]
        for operation in kernel.allOperations {
            let method = OperationRoutes.method(of: operation).lowercased()
            paths[OperationRoutes.template(of: operation)] = .object([method: describe(operation)])
            if operation.scope == .platform && !operation.mutates {
                paths[OperationRoutes.shopTemplate(of: operation)] = .object([method: describe(operation, inShop: true)])
            }
        }
        return [
            "openapi": "3.1.0",
            "info": [
                "title": "Souk API",
                "version": .string(Kernel.version.description),
                "description": "Every Souk operation as an endpoint: reads are GET with query parameters, mutations POST with a JSON body. Staff use a bearer token from POST /v1/auth/sign-in; shoppers use a storefront token. Errors are application/problem+json with a stable `code`.",
            ],
            "paths": .object(paths),
            "components": [
                "securitySchemes": [
                    "staffToken": ["type": "http", "scheme": "bearer", "description": "A staff session token (souk_...) from POST /v1/auth/sign-in"],
                    "shopperToken": ["type": "http", "scheme": "bearer", "description": "A storefront session token (shopper_...)"],
                ],
                "schemas": ["Problem": problemSchema],
                "parameters": [
                    "shop": ["name": "shop", "in": "path", "required": true, "description": "the shop's code",
                             "schema": ["type": "string"]],
                    "idempotencyKey": ["name": "Idempotency-Key", "in": "header", "required": false,
                                       "description": "repeating a mutation with the same key returns the first result",
                                       "schema": ["type": "string", "pattern": "^[A-Za-z0-9._-]{1,128}$"]],
                    "requestID": ["name": "X-Request-Id", "in": "header", "required": false,
                                  "description": "a correlation id (1-64 letters, digits, '-', '_', '.'); echoed and written to the audit log",
                                  "schema": ["type": "string"]],
                ],
            ],
        ]
    }

    /// `inShop`: a platform operation narrowed to one shop (its second path).
    static func describe(_ operation: OperationSpec, inShop: Bool = false) -> Value {
        var parameters: [Value] = []
        if operation.scope == .shop || inShop { parameters.append(["$ref": "#/components/parameters/shop"]) }
        parameters.append(["$ref": "#/components/parameters/requestID"])
        var description: Value.Object = [
            "operationId": .string(inShop ? operation.name + ".in_shop" : operation.name),
            "summary": .string(inShop ? operation.summary + " (narrowed to one shop)" : operation.summary),
            "tags": [.string(operation.pluginID)],
        ]
        if operation.mutates {
            parameters.append(["$ref": "#/components/parameters/idempotencyKey"])
            description["requestBody"] = [
                "required": .bool(operation.fields.contains { $0.required }),
                "content": ["application/json": ["schema": bodySchema(operation)]],
            ]
        } else {
            for field in operation.fields where !field.secret {
                var parameter: Value.Object = ["name": .string(field.name), "in": "query", "required": .bool(field.required),
                                               "description": .string(field.help), "schema": schema(field.type)]
                if field.type == .list { parameter["style"] = "form"; parameter["explode"] = true }
                parameters.append(.object(parameter))
            }
        }
        description["parameters"] = .array(parameters)
        var permissionNote = operation.permission.map { "Needs permission `\($0)`." } ?? "Any signed-in actor."
        if operation.audience == .shopper {
            description["security"] = [[:], ["shopperToken": []]]
            permissionNote = "Storefront: " + permissionNote
        } else if operation.audience == .integration {
            description["security"] = [[:], ["staffToken": []]]
            permissionNote = "Integration: called without a token by other systems, which the operation authenticates from its input (e.g. a signature); staff may call it with a token. " + permissionNote
        } else {
            description["security"] = [["staffToken": []]]
        }
        description["description"] = .string(permissionNote)
        description["responses"] = responses(ok: [:], read: !operation.mutates)
        return .object(description)
    }

    static func bodySchema(_ operation: OperationSpec) -> Value {
        var properties = Value.Object()
        for field in operation.fields {
            var property = schema(field.type).objectValue ?? [:]
            property["description"] = .string(field.help)
            if field.secret { property["writeOnly"] = true }
            properties[field.name] = .object(property)
        }
        return [
            "type": "object",
            "properties": .object(properties),
            "required": .array(operation.fields.filter(\.required).map { .string($0.name) }),
            "additionalProperties": false,
        ]
    }

    /// JSON Schema for each field type; the kernel's validation is the authority, this is
    /// what clients (and schemathesis) see.
    static func schema(_ type: FieldType) -> Value {
        switch type {
        case .string: return ["type": "string"]
        case .int: return ["type": "integer", "format": "int64", "minimum": .int(Int64.min), "maximum": .int(Int64.max)]
        case .bool: return ["type": "boolean"]
        case .email: return ["type": "string", "format": "email"]
        case .currency: return ["type": "string", "pattern": "^[A-Za-z]{3}$", "description": "ISO 4217 code"]
        case .timeZone: return ["type": "string", "description": "IANA time zone, e.g. Europe/Paris"]
        case .code: return ["type": "string", "pattern": "^[a-z][a-z0-9_-]{0,31}$"]
        case .list: return ["type": "array", "items": ["type": "string"]]
        case .dateTime: return ["type": "string", "format": "date-time"]
        }
    }

    static func responses(ok schema: Value.Object, read: Bool = false) -> Value {
        let problem: Value = ["description": "a problem (see `code`)",
                              "content": ["application/problem+json": ["schema": ["$ref": "#/components/schemas/Problem"]]]]
        var headers: Value.Object = ["X-Request-Id": ["description": "the request's correlation id", "schema": ["type": "string"]]]
        if read {
            headers["ETag"] = ["description": "entity tag of the body", "schema": ["type": "string"]]
        }
        var responses: Value.Object = [
            "200": ["description": "the operation's result", "headers": .object(headers),
                    "content": ["application/json": ["schema": .object(schema)]]],
        ]
        if read { responses["304"] = ["description": "unchanged since the ETag in If-None-Match"] }
        for status in ["400", "401", "403", "404", "405", "409", "413", "415", "422", "423", "429", "431", "503"] {
            responses[status] = problem
        }
        responses["default"] = problem
        return .object(responses)
    }

    static func signInOperation() -> Value {
        [
            "operationId": "auth.sign_in", "summary": "Sign in as staff; returns a bearer token", "tags": ["auth"],
            "security": [[:]],
            "requestBody": ["required": true, "content": ["application/json": ["schema": bodySchema(SoukAPI.signInSpec)]]],
            "responses": responses(ok: ["type": "object", "required": ["token", "staff", "expires_at"],
                                        "properties": ["token": ["type": "string"], "staff": ["type": "string"],
                                                       "expires_at": ["type": "string"]]]),
        ]
    }

    static let problemSchema: Value = [
        "type": "object",
        "required": ["type", "title", "status", "code", "detail"],
        "properties": [
            "type": ["type": "string"], "title": ["type": "string"], "status": ["type": "integer"],
            "code": ["type": "string", "description": "stable error code, e.g. permission_denied"],
            "detail": ["type": "string"], "field": ["type": "string"], "request_id": ["type": "string"],
        ],
    ]
}
