import Foundation

enum InstallationOperations {
    static let all: [OperationSpec] = [show, configure]

    static let show = OperationSpec(
        name: "installation.show", summary: "Show installation settings", permission: nil, mutates: false, scope: .platform
    ) { scope in
        ["kernel_version": .string(Kernel.version.description), "plugin_abi": .int(Int64(PluginABI.version)),
         "allow_dynamic_plugins": .bool(try scope.transaction.query(
            "SELECT value FROM souk_installation WHERE key = 'allow_dynamic_plugins'").first?.string("value") == "true"),
         "data_folder": Value(scope.kernel.dataDirectory)]
    }

    static let configure = OperationSpec(
        name: "installation.configure", summary: "Change installation settings (operators only)",
        fields: [Field("allow_dynamic_plugins", .bool, required: true, help: "load .so plugins from the plugins folders")],
        permission: nil, mutates: true, scope: .platform
    ) { scope in
        guard scope.context.isOperator else { throw KernelError.denied("only an operator can change installation settings") }
        let allow = scope.input.bool("allow_dynamic_plugins")
        try scope.transaction.execute("INSERT OR REPLACE INTO souk_installation (key, value) VALUES ('allow_dynamic_plugins', ?)",
                                      [allow ? "true" : "false"])
        scope.audit(entity: "installation", change: ["allow_dynamic_plugins": .bool(allow)])
        return ["allow_dynamic_plugins": .bool(allow), "note": "takes effect the next time Souk starts"]
    }
}
