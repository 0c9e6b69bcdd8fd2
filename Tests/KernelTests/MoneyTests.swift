import XCTest
import Kernel

final class MoneyTests: XCTestCase {
    let eur = Currency(code: "EUR")!

    func eur(_ minor: Int64) -> Money { Money(minorUnits: minor, currency: eur) }

    func testCurrenciesKnowTheirMinorUnits() throws {
        XCTAssertEqual(Currency(code: "EUR")?.minorUnitDigits, 2)
        XCTAssertEqual(Currency(code: "JPY")?.minorUnitDigits, 0)
        XCTAssertEqual(Currency(code: "KWD")?.minorUnitDigits, 3)
        XCTAssertNil(Currency(code: "XYZ"))
        XCTAssertEqual(try Money(1250, "EUR").description, "12.50 EUR")
        XCTAssertEqual(try Money(-5, "EUR").description, "-0.05 EUR")
        XCTAssertEqual(try Money(1200, "JPY").description, "1200 JPY")
        XCTAssertEqual(try Money(1234, "KWD").description, "1.234 KWD")
        XCTAssertThrowsError(try Money(1, "EURO"))
    }

    func testArithmeticIsCheckedAndRefusesMixedCurrencies() throws {
        XCTAssertEqual(try eur(150).adding(eur(250)), eur(400))
        XCTAssertEqual(try eur(150).subtracting(eur(250)), eur(-100))
        XCTAssertEqual(try eur(450).multiplied(by: 3), eur(1350))
        XCTAssertThrowsError(try eur(Int64.max).adding(eur(1))) {
            XCTAssertEqual(($0 as! KernelError).message, "amount overflows while adding")
        }
        XCTAssertThrowsError(try eur(Int64.max / 2 + 1).multiplied(by: 2))
        XCTAssertThrowsError(try eur(Int64.min).subtracting(eur(1)))
        XCTAssertThrowsError(try eur(1).adding(try Money(1, "USD"))) {
            XCTAssertEqual(($0 as! KernelError).message, "cannot combine EUR with USD: currencies differ")
        }
    }

    func testPercentagesRoundHalfUpAtTheMinorUnit() throws {
        XCTAssertEqual(try eur(1000).percentage(basisPoints: 1250), eur(125))   // 12.5 % of 10.00
        XCTAssertEqual(try eur(5).percentage(basisPoints: 1000), eur(1))        // 0.5 → 1
        XCTAssertEqual(try eur(4).percentage(basisPoints: 1000), eur(0))        // 0.4 → 0
        XCTAssertEqual(try eur(15).percentage(basisPoints: 1000), eur(2))       // 1.5 → 2
        XCTAssertEqual(try eur(-15).percentage(basisPoints: 1000), eur(-2))     // half away from zero
        XCTAssertEqual(try eur(333).percentage(basisPoints: 3333), eur(111))    // 110.9889 → 111
        XCTAssertThrowsError(try eur(Int64.max).percentage(basisPoints: 2))
    }

    func testAllocationAddsUpExactly() throws {
        let parts = try eur(1000).allocated(over: [1, 1, 1])
        XCTAssertEqual(parts, [eur(334), eur(333), eur(333)])
        let discount = try eur(-1000).allocated(over: [6666, 1200, 450])
        XCTAssertEqual(discount.map(\.minorUnits), [-802, -144, -54])
        for total in [1, 7, 99, 1001, 123_456_789] as [Int64] {
            for weights in [[1, 2, 3], [5, 0, 5], [999, 1], [1, 1, 1, 1, 1, 1, 1]] as [[Int64]] {
                let split = try eur(total).allocated(over: weights)
                XCTAssertEqual(split.reduce(0) { $0 + $1.minorUnits }, total, "\(total) over \(weights)")
            }
        }
        XCTAssertEqual(try eur(5).allocated(over: [0, 0]), [eur(3), eur(2)])
        XCTAssertThrowsError(try eur(5).allocated(over: [1, -1]))
    }

    func testMoneyEncodesAsIntegerMinorUnits() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let data = try encoder.encode(eur(1999))
        XCTAssertEqual(String(decoding: data, as: UTF8.self), #"{"amount":1999,"currency":"EUR"}"#)
        XCTAssertEqual(try JSONDecoder().decode(Money.self, from: data), eur(1999))
        XCTAssertThrowsError(try JSONDecoder().decode(Money.self, from: Data(#"{"amount":1999,"currency":"XXX1"}"#.utf8)))
    }
}
