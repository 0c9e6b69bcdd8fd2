/// The decimal digits of an integer (with a leading "-" when negative), written on the stack
/// and lent to `body`: JSON and the audit hash write numbers without a String each.
enum DecimalDigits {
    static func with(_ value: Int64, _ body: (UnsafeRawBufferPointer) -> Void) {
        var buffer: (UInt64, UInt64, UInt64) = (0, 0, 0)  // room for a sign and 20 digits
        withUnsafeMutableBytes(of: &buffer) { raw in
            var magnitude = value.magnitude
            var index = raw.count
            repeat {
                index -= 1
                raw[index] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            if value < 0 { index -= 1; raw[index] = UInt8(ascii: "-") }
            body(UnsafeRawBufferPointer(rebasing: raw[index...]))
        }
    }
}
