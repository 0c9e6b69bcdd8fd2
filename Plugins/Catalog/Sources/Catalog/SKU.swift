import Kernel

/// One row of `catalog_skus`, decoded.
struct SKU {
    let id: Int64
    let productID: Int64
    let code: String
    let price: Money
    let weightGrams: Int64
    let volumeCm3: Int64
    let barcode: String?

    static let columns = "id, product_id, code, price, currency, weight_grams, volume_cm3, barcode"

    init(row: Row) throws {
        id = try row.int64("id")
        productID = try row.int64("product_id")
        code = try row.string("code")
        price = try Money(try row.int64("price"), try row.string("currency"))
        weightGrams = try row.int64("weight_grams")
        volumeCm3 = try row.int64("volume_cm3")
        barcode = try row.optionalString("barcode")
    }

    func value() -> Value {
        ["id": .int(id), "code": .string(code), "product_id": .int(productID), "price": price.value,
         "weight_grams": .int(weightGrams), "volume_cm3": .int(volumeCm3), "barcode": Value(barcode)]
    }
}
