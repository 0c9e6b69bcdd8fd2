import Kernel

/// The catalog's CSV format: one row per SKU (or one row with an empty `sku` for a product
/// without SKUs). `keywords`, `tags` and `images` hold several values separated by '|';
/// `listed` is true or false; `price` is in the shop's minor units.
enum CatalogCSV {
    static let columns = ["handle", "title", "description", "keywords", "tags", "listed", "sku", "price",
                          "weight_grams", "volume_cm3", "barcode", "images"]

    /// The product part of a row.
    struct ProductFields: Equatable {
        var title: String
        var description: String
        var keywords: [String]
        var tags: [String]
        var listed: Bool
        var images: [String]
    }

    /// A product to create or update, from the first row of its handle.
    struct ProductPlan {
        let line: Int
        let handle: String
        let fields: ProductFields
    }

    struct SKUPlan {
        let line: Int
        let handle: String
        let code: String
        let price: Int64
        let weightGrams: Int64
        let volumeCm3: Int64
        let barcode: String?
    }

    struct Plan {
        var products: [ProductPlan] = []
        var skus: [SKUPlan] = []
    }

    /// Checks every row and returns the plan, or every problem found, each naming its line.
    /// `skuOwners` maps the shop's existing SKU codes to their product's handle.
    static func plan(_ records: [CSV.Record], skuOwners: [String: String]) -> (Plan, [String]) {
        var problems: [String] = []
        guard let header = records.first else {
            return (Plan(), ["the CSV is empty; its first line must be the header: \(columns.joined(separator: ","))"])
        }
        if let problem = headerProblem(header.fields) {
            return (Plan(), ["line \(header.line): \(problem)"])
        }
        var plan = Plan()
        var firstRow: [String: (line: Int, fields: ProductFields?)] = [:]
        var skuLines: [String: Int] = [:]
        for record in records.dropFirst() {
            var rowProblems: [String] = []
            func check<T>(_ body: () throws -> T) -> T? {
                do { return try body() } catch {
                    rowProblems.append(KernelError.wrap(error).message)
                    return nil
                }
            }
            defer { problems += rowProblems.map { "line \(record.line): \($0)" } }
            guard record.fields.count == columns.count else {
                rowProblems.append("has \(record.fields.count) fields, expected \(columns.count) (\(columns.joined(separator: ",")))")
                continue
            }
            var cell: [String: String] = [:]
            for (name, value) in zip(columns, record.fields) { cell[name] = value }
            guard let handle = check({ try CatalogRules.handle(cell["handle"]!) }) else { continue }

            // Product columns: taken from the first row of the handle; later rows repeat them or leave them blank.
            if let first = firstRow[handle] {
                if let expected = first.fields {
                    for (column, differs) in differences(cell, from: expected) where differs {
                        rowProblems.append("\(column) differs from line \(first.line) for handle '\(handle)'; repeat the first row's value or leave it blank")
                    }
                }
            } else {
                let title = check { try CatalogRules.title(cell["title"]!) }
                let description = check { try CatalogRules.description(cell["description"]!) }
                let keywords = check { try CatalogRules.keywords(split(cell["keywords"]!)) }
                let tags = check { try split(cell["tags"]!).map(CatalogRules.tag) }
                let listed = check { try bool(cell["listed"]!) }
                let images = check { try CatalogRules.images(split(cell["images"]!)) }
                if let title, let description, let keywords, let tags, let listed, let images {
                    let fields = ProductFields(title: title, description: description, keywords: keywords,
                                               tags: uniqueSorted(tags), listed: listed, images: images)
                    firstRow[handle] = (record.line, fields)
                    plan.products.append(ProductPlan(line: record.line, handle: handle, fields: fields))
                } else {
                    firstRow[handle] = (record.line, nil)
                }
            }

            // SKU columns.
            let skuText = cell["sku"]!.trimmingCharacters(in: .whitespaces)
            if skuText.isEmpty {
                for column in ["price", "weight_grams", "volume_cm3", "barcode"]
                where !cell[column]!.trimmingCharacters(in: .whitespaces).isEmpty {
                    rowProblems.append("\(column) is given but sku is empty; a row without a SKU describes only its product")
                }
                continue
            }
            let code = check { try CatalogRules.skuCode(skuText) }
            if let code {
                if let earlier = skuLines[code] {
                    rowProblems.append("SKU '\(code)' appears again (first on line \(earlier)); each SKU takes one row")
                } else {
                    skuLines[code] = record.line
                }
                if let owner = skuOwners[code], owner != handle {
                    rowProblems.append("SKU '\(code)' belongs to product '\(owner)'; a SKU cannot move to product '\(handle)'")
                }
            }
            let price = check { try CatalogRules.price(try whole(cell["price"]!, "price", unit: "minor units", blank: nil)) }
            let weight = check { try CatalogRules.weight(try whole(cell["weight_grams"]!, "weight_grams", unit: "grams", blank: 0)) }
            let volume = check { try CatalogRules.volume(try whole(cell["volume_cm3"]!, "volume_cm3", unit: "cubic centimetres", blank: 0)) }
            let barcode = check { try CatalogRules.barcode(cell["barcode"]!) }
            if rowProblems.isEmpty, let code, let price, let weight, let volume, let barcode {
                plan.skus.append(SKUPlan(line: record.line, handle: handle, code: code, price: price, weightGrams: weight,
                                         volumeCm3: volume, barcode: barcode))
            }
        }
        return (plan, problems)
    }

    static func headerProblem(_ raw: [String]) -> String? {
        let header = raw.map { $0.trimmingCharacters(in: .whitespaces) }
        guard header != columns else { return nil }
        var parts: [String] = []
        let missing = columns.filter { !header.contains($0) }
        let unknown = header.filter { !columns.contains($0) }
        let twice = Set(header.filter { name in header.filter { $0 == name }.count > 1 }).sorted()
        if !missing.isEmpty { parts.append("missing columns: \(missing.joined(separator: ", "))") }
        if !unknown.isEmpty { parts.append("unknown columns: \(unknown.map { "'\($0)'" }.joined(separator: ", "))") }
        if !twice.isEmpty { parts.append("columns given twice: \(twice.joined(separator: ", "))") }
        if parts.isEmpty { parts.append("the columns are in another order") }
        return "the header must be exactly \(columns.joined(separator: ",")); " + parts.joined(separator: "; ")
    }

    /// The product columns of a later row that are neither blank nor equal to the first row's.
    private static func differences(_ cell: [String: String], from first: ProductFields) -> [(String, Bool)] {
        func given(_ column: String) -> String? {
            let text = cell[column]!.trimmingCharacters(in: .whitespacesAndNewlines)
            return text.isEmpty ? nil : text
        }
        var result: [(String, Bool)] = []
        if let title = given("title") { result.append(("title", (try? CatalogRules.title(title)) != first.title)) }
        if let description = given("description") {
            result.append(("description", (try? CatalogRules.description(description)) != first.description))
        }
        if let keywords = given("keywords") {
            result.append(("keywords", (try? CatalogRules.keywords(split(keywords))) != first.keywords))
        }
        if let tags = given("tags") {
            result.append(("tags", (try? split(tags).map(CatalogRules.tag)).map(uniqueSorted) != first.tags))
        }
        if let listed = given("listed") { result.append(("listed", (try? bool(listed)) != first.listed)) }
        if let images = given("images") { result.append(("images", (try? CatalogRules.images(split(images))) != first.images)) }
        return result
    }

    static func split(_ text: String) -> [String] {
        text.split(separator: "|").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
    }

    static func join(_ list: [String]) -> String { list.joined(separator: "|") }

    private static func uniqueSorted(_ list: [String]) -> [String] { Array(Set(list)).sorted() }

    static func bool(_ text: String) throws -> Bool {
        switch text.trimmingCharacters(in: .whitespaces).lowercased() {
        case "true", "yes", "1": return true
        case "false", "no", "0", "": return false
        default: throw KernelError.invalid("listed", "listed '\(text)' is not true or false")
        }
    }

    /// A whole number, or `blank` when the cell is empty (nil: required).
    static func whole(_ text: String, _ column: String, unit: String, blank: Int64?) throws -> Int64 {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty {
            guard let blank else { throw KernelError.invalid(column, "\(column) is empty; give it in \(unit)") }
            return blank
        }
        guard let number = Int64(trimmed) else {
            throw KernelError.invalid(column, "\(column) '\(text)' is not a whole number of \(unit)")
        }
        return number
    }
}
