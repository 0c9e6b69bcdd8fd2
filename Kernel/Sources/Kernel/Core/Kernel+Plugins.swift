extension Kernel {
    /// The plugins enabled in a shop: those switched on, plus those enabled by default
    /// and never switched off.
    func enabledPlugins(shopID: Int64, in tx: Transaction) throws -> Set<String> {
        if let known = tx.enabledPlugins[shopID] { return known }
        // The shop's choices change rarely and are needed by every mutation: kept by the
        // writer's memo until `souk_plugin_shops` changes.
        let choices = try tx.remembered(shopID: shopID, "kernel.plugin-choices") {
            var choices: [String: Bool] = [:]
            for row in try tx.query("SELECT plugin_id, enabled FROM souk_plugin_shops WHERE shop_id = ?", values: [.integer(shopID)]) {
                choices[try row.string("plugin_id")] = try row.bool("enabled")
            }
            return choices
        }
        // Reads only the id and the default of each plugin (filtering the loaded list copied
        // every plugin's whole manifest, twice, in every write transaction).
        var enabled = Set<String>(minimumCapacity: loaded.count)
        for index in loaded.indices {
            let id = loaded[index].manifest.id
            if choices[id] ?? loaded[index].manifest.enabledByDefault { enabled.insert(id) }
        }
        tx.enabledPlugins[shopID] = enabled
        return enabled
    }

    /// A plugin's setting in a shop, or the manifest's default.
    func setting(plugin: String, key: String, shopID: Int64, in tx: Transaction) throws -> Value {
        guard let spec = settingSpec(plugin: plugin, key: key) else {
            throw KernelError.notFound("plugin '\(plugin)' declares no setting '\(key)'")
        }
        // Read on every checkout by some plugins (Inventory's hold time): kept by the writer's
        // memo until `souk_settings` changes.
        let stored = try tx.remembered(shopID: shopID, "kernel.setting:\(plugin).\(key)") { () -> Value? in
            guard let row = try tx.query("SELECT value FROM souk_settings WHERE shop_id = ? AND plugin_id = ? AND key = ?",
                                         [shopID, plugin, key]).first else { return nil }
            return try JSON.decode(try row.string("value"))
        }
        return stored ?? spec.defaultValue
    }

    func settingSpec(plugin: String, key: String) -> SettingSpec? {
        loaded.first { $0.manifest.id == plugin }?.manifest.settings.first { $0.key == key }
    }

    /// Whether this installation lets `.so` plugins load (`souk init --allow-dynamic-plugins`).
    public func allowsDynamicPlugins() throws -> Bool {
        try store.read { tx in
            try tx.query("SELECT value FROM souk_installation WHERE key = 'allow_dynamic_plugins'").first?.string("value") == "true"
        }
    }
}
