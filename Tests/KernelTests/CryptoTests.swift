import XCTest
import Kernel

final class CryptoTests: XCTestCase {
    func testSHA256MatchesFIPS180Vectors() {
        XCTAssertEqual(SHA256.hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(Hex.encode(SHA256.hash([UInt8](repeating: 0x61, count: 1_000_000))),
                       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        // The same million bytes fed in uneven pieces and through the byte-by-byte path.
        var hasher = SHA256()
        var fed = 0
        for piece in [1, 63, 64, 65, 127, 999_680] {
            if piece % 2 == 1 { hasher.update(repeatElement(UInt8(0x61), count: piece)) } else { hasher.update([UInt8](repeating: 0x61, count: piece)) }
            fed += piece
        }
        XCTAssertEqual(fed, 1_000_000)
        XCTAssertEqual(Hex.encode(hasher.finish()), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    func testSHA256PaddingAtEveryLengthMatchesOneShot() {
        // Lengths around the one- and two-block padding boundaries (55, 56, 63, 64 bytes),
        // hashed whole and fed in uneven pieces.
        for length in [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000] {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            var pieces = SHA256()
            var offset = 0, step = 1
            while offset < bytes.count {
                let end = min(offset + step, bytes.count)
                pieces.update(bytes[offset..<end])
                offset = end
                step = step * 3 + 1
            }
            XCTAssertEqual(pieces.finish(), SHA256.hash(bytes), "length \(length)")
        }
        // FIPS 180-2 two-block message (56 bytes).
        XCTAssertEqual(Hex.encode(SHA256.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    func testHMACMatchesRFC4231Vectors() {
        let case1 = HMAC.sha256(key: [UInt8](repeating: 0x0b, count: 20), message: Array("Hi There".utf8))
        XCTAssertEqual(Hex.encode(case1), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        let case2 = HMAC.sha256(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
        XCTAssertEqual(Hex.encode(case2), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        let case6 = HMAC.sha256(key: [UInt8](repeating: 0xaa, count: 131),
                                message: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8))
        XCTAssertEqual(Hex.encode(case6), "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    func testPasswordHashIsSaltedAndVerifies() throws {
        let first = try PasswordHasher.hash("correct horse")
        let second = try PasswordHasher.hash("correct horse")
        XCTAssertNotEqual(first, second, "each hash has its own salt")
        XCTAssertTrue(first.hasPrefix("$y$") || first.hasPrefix("$6$"), first)
        XCTAssertFalse(first.contains("correct horse"))
        XCTAssertTrue(PasswordHasher.verify("correct horse", against: first))
        XCTAssertFalse(PasswordHasher.verify("correct horsE", against: first))
    }

    func testJSONKeepsOrderAndRefusesFractions() throws {
        let value = try JSON.decode(#"{"b":1,"a":[true,null,"x\n\u00e9"]}"#)
        XCTAssertEqual(JSON.encode(value), #"{"b":1,"a":[true,null,"x\né"]}"#)
        XCTAssertThrowsError(try JSON.decode(#"{"amount": 1.5}"#)) { XCTAssertEqual(($0 as? KernelError)?.code, .invalidInput) }
        XCTAssertThrowsError(try JSON.decode("99999999999999999999"))
        XCTAssertThrowsError(try JSON.decode(#"{"a":1,"a":2}"#))
    }
}
