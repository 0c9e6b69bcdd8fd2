enum PluginOperations {
    static let all: [OperationSpec] = [list, enable, disable, settingsShow, settingsSet, permissions]

    static let list = OperationSpec(
        name: "plugin.list", summary: "List loaded plugins: version, source, kernel range, shops, permissions, operations",
        permission: nil, mutates: false, scope: .platform
    ) { scope in
        let kernel = scope.kernel
        let shops = try scope.transaction.query("SELECT id, code FROM souk_shops ORDER BY code")
        var enabledIn: [String: [String]] = [:]
        for shop in shops {
            for id in try kernel.enabledPlugins(shopID: try shop.int64("id"), in: scope.transaction) {
                enabledIn[id, default: []].append(try shop.string("code"))
            }
        }
        return .array(kernel.loaded.map { plugin in
            let id = plugin.manifest.id
            return [
                "id": .string(id), "version": .string(plugin.manifest.version.description),
                "source": .string(plugin.source.description), "kernel": .string(plugin.manifest.kernel.description),
                "enabled_shops": .string(id == "kernel" ? "all" : (enabledIn[id] ?? []).joined(separator: ",")),
                "permissions": .string(plugin.manifest.permissions.map(\.permission.rawValue).joined(separator: ",")),
                "operations": .string(plugin.operations.sorted().joined(separator: ",")),
                "hooks": .string(kernel.hooks.registrations(of: id).joined(separator: ",")),
            ]
        })
    }

    static let pluginField = Field("id", .code, required: true, help: "plugin id", positional: true)

    static let enable = OperationSpec(
        name: "plugin.enable", summary: "Enable a plugin in the shop", fields: [pluginField],
        permission: "plugin.manage", mutates: true
    ) { scope in
        try setEnabled(scope, true)
    }

    static let disable = OperationSpec(
        name: "plugin.disable", summary: "Disable a plugin in the shop", fields: [pluginField],
        permission: "plugin.manage", mutates: true
    ) { scope in
        try setEnabled(scope, false)
    }

    static func setEnabled(_ scope: OperationScope, _ enabled: Bool) throws -> Value {
        let shop = try scope.context.requireShop()
        let id = try scope.input.string("id")
        let kernel = scope.kernel
        guard id != "kernel" else { throw KernelError.invalid("id", "the kernel cannot be disabled or enabled") }
        guard let plugin = kernel.loaded.first(where: { $0.manifest.id == id }) else {
            throw KernelError(.notFound, "no plugin '\(id)' is loaded; `souk plugin list` shows the loaded plugins", field: "id")
        }
        let current = try kernel.enabledPlugins(shopID: shop.id, in: scope.transaction)
        if enabled {
            let missing = plugin.manifest.dependencies.filter { $0 != "kernel" && !current.contains($0) }
            guard missing.isEmpty else {
                throw KernelError(.conflict, "plugin '\(id)' needs \(missing.joined(separator: ", ")) enabled in shop '\(shop.code)' first")
            }
        } else {
            let dependents = kernel.loaded.filter { current.contains($0.manifest.id) && $0.manifest.dependencies.contains(id) }
            guard dependents.isEmpty else {
                throw KernelError(.conflict, "plugin '\(id)' is needed by \(dependents.map(\.manifest.id).joined(separator: ", ")) in shop '\(shop.code)'; disable those first")
            }
        }
        try scope.transaction.execute("INSERT OR REPLACE INTO souk_plugin_shops (shop_id, plugin_id, enabled, changed_at) VALUES (?, ?, ?, ?)",
                                      [shop.id, id, enabled, scope.now])
        scope.transaction.enabledPlugins[shop.id] = nil
        scope.audit(entity: "plugin:\(id)", change: ["enabled": .bool(enabled)])
        return ["id": .string(id), "shop": .string(shop.code), "enabled": .bool(enabled)]
    }

    static let settingsShow = OperationSpec(
        name: "settings.show", summary: "Show the plugin settings of the shop",
        fields: [Field("plugin", .code, help: "only this plugin's settings")], permission: "plugin.read", mutates: false
    ) { scope in
        let shop = try scope.context.requireShop()
        let only = scope.input.optionalString("plugin")
        var rows: [Value] = []
        for plugin in scope.kernel.loaded where only == nil || plugin.manifest.id == only {
            for spec in plugin.manifest.settings {
                let value = try scope.kernel.setting(plugin: plugin.manifest.id, key: spec.key, shopID: shop.id, in: scope.transaction)
                let shown: Value = spec.secret ? (value == spec.defaultValue ? "(not set)" : "(set, hidden)") : value
                rows.append(["plugin": .string(plugin.manifest.id), "key": .string(spec.key), "value": shown,
                             "type": .string(spec.type.rawValue), "help": .string(spec.help)])
            }
        }
        return .array(rows)
    }

    static let settingsSet = OperationSpec(
        name: "settings.set", summary: "Change a plugin setting in the shop",
        fields: [Field("plugin", .code, required: true, help: "plugin id"),
                 Field("key", required: true, help: "setting name"),
                 Field("value", required: true, help: "new value (text, parsed by the setting's type)")],
        permission: "plugin.manage", mutates: true
    ) { scope in
        let shop = try scope.context.requireShop()
        let plugin = try scope.input.string("plugin"), key = try scope.input.string("key")
        guard let spec = scope.kernel.settingSpec(plugin: plugin, key: key) else {
            throw KernelError(.notFound, "plugin '\(plugin)' declares no setting '\(key)'; `souk settings show --shop \(shop.code)` lists them", field: "key")
        }
        let typed = try spec.type.validate(try spec.type.parse(try scope.input.string("value"), field: "value"), field: "value")
        let before = try scope.kernel.setting(plugin: plugin, key: key, shopID: shop.id, in: scope.transaction)
        try scope.transaction.execute("INSERT OR REPLACE INTO souk_settings (shop_id, plugin_id, key, value) VALUES (?, ?, ?, ?)",
                                      [shop.id, plugin, key, JSON.encode(typed)])
        if spec.secret {
            scope.audit(entity: "setting:\(plugin).\(key)", change: ["changed": "secret value, not recorded"])
            return ["plugin": .string(plugin), "key": .string(key), "value": "(set, hidden)"]
        }
        scope.audit(entity: "setting:\(plugin).\(key)", change: ["from": before, "to": typed])
        return ["plugin": .string(plugin), "key": .string(key), "value": typed]
    }

    static let permissions = OperationSpec(
        name: "permission.list", summary: "List every permission, who declares it and which built-in roles hold it",
        permission: nil, mutates: false, scope: .platform
    ) { scope in
        .array(scope.kernel.allPermissions.map { entry in
            ["permission": .string(entry.spec.permission.rawValue), "plugin": .string(entry.pluginID),
             "roles": .string(BuiltInRole.allCases.filter(entry.spec.roles.contains).map(\.rawValue).joined(separator: ",")),
             "summary": .string(entry.spec.summary)]
        })
    }
}
