import XCTest
@_spi(Testing) import Kernel

final class CryptoTests: XCTestCase {
    /// The engines this CPU runs: both on x86 with the SHA extensions, else the Swift one.
    let engines = SHA256.Engine.allCases.filter(\.isAvailable)

    func hex(_ text: String, _ engine: SHA256.Engine) -> String {
        var hasher = SHA256(engine: engine)
        hasher.update(text)
        return Hex.encode(hasher.finish())
    }

    func hash(_ bytes: [UInt8], _ engine: SHA256.Engine) -> [UInt8] {
        var hasher = SHA256(engine: engine)
        hasher.update(bytes)
        return hasher.finish()
    }

    func testSHA256MatchesFIPS180Vectors() {
        for engine in engines {
            XCTAssertEqual(hex("", engine), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "\(engine)")
            XCTAssertEqual(hex("abc", engine), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "\(engine)")
            XCTAssertEqual(hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", engine),
                           "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1", "\(engine)")
            XCTAssertEqual(Hex.encode(hash([UInt8](repeating: 0x61, count: 1_000_000), engine)),
                           "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0", "\(engine)")
            // The same million bytes fed in uneven pieces and through the byte-by-byte path.
            var hasher = SHA256(engine: engine)
            var fed = 0
            for piece in [1, 63, 64, 65, 127, 999_680] {
                if piece % 2 == 1 { hasher.update(repeatElement(UInt8(0x61), count: piece)) } else { hasher.update([UInt8](repeating: 0x61, count: piece)) }
                fed += piece
            }
            XCTAssertEqual(fed, 1_000_000)
            XCTAssertEqual(Hex.encode(hasher.finish()), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0", "\(engine)")
        }
        // SHA256() and the static helpers use the preferred engine.
        XCTAssertEqual(SHA256.hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    func testSHA256PaddingAtEveryLengthMatchesOneShot() {
        for engine in engines {
            // Lengths around the one- and two-block padding boundaries (55, 56, 63, 64 bytes),
            // hashed whole and fed in uneven pieces.
            for length in [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000] {
                let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
                var pieces = SHA256(engine: engine)
                var offset = 0, step = 1
                while offset < bytes.count {
                    let end = min(offset + step, bytes.count)
                    pieces.update(bytes[offset..<end])
                    offset = end
                    step = step * 3 + 1
                }
                XCTAssertEqual(pieces.finish(), hash(bytes, engine), "\(engine) length \(length)")
            }
            // FIPS 180-2 two-block message (56 bytes).
            XCTAssertEqual(Hex.encode(hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8), engine)),
                           "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1", "\(engine)")
        }
    }

    func testSHA256EnginesAgreeOnRandomInputs() throws {
        guard SHA256.Engine.accelerated.isAvailable else {
            throw XCTSkip("this CPU has no x86 SHA extensions: only the Swift engine runs")
        }
        let forced = ProcessInfo.processInfo.environment["SOUK_SHA256"] == "portable"
        XCTAssertEqual(SHA256.Engine.preferred, forced ? .portable : .accelerated)
        var random = SplitMix64(seed: 0x5eed_cafe)
        let lengths = Array(0...300) + [511, 512, 513, 1000, 4096 + 17, 65_536 + 3]
        for length in lengths {
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            let portable = hash(bytes, .portable)
            XCTAssertEqual(hash(bytes, .accelerated), portable, "length \(length)")
            // Fed in pieces cut at random (mostly odd) offsets, each engine.
            for engine in SHA256.Engine.allCases {
                var hasher = SHA256(engine: engine)
                var offset = 0
                while offset < bytes.count {
                    let piece = Int(random.next() % 150) | 1
                    let end = min(offset + piece, bytes.count)
                    hasher.update(bytes[offset..<end])
                    offset = end
                }
                XCTAssertEqual(hasher.finish(), portable, "\(engine) in pieces, length \(length)")
            }
        }
    }

    func testHMACMatchesRFC4231Vectors() {
        for engine in engines {
            let case1 = HMAC.sha256(key: [UInt8](repeating: 0x0b, count: 20), message: Array("Hi There".utf8), engine: engine)
            XCTAssertEqual(Hex.encode(case1), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7", "\(engine)")
            let case2 = HMAC.sha256(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8), engine: engine)
            XCTAssertEqual(Hex.encode(case2), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", "\(engine)")
            let case6 = HMAC.sha256(key: [UInt8](repeating: 0xaa, count: 131),
                                    message: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8), engine: engine)
            XCTAssertEqual(Hex.encode(case6), "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54", "\(engine)")
            let case7 = HMAC.sha256(key: [UInt8](repeating: 0xaa, count: 131), message: Array(
                "This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.".utf8),
                engine: engine)
            XCTAssertEqual(Hex.encode(case7), "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2", "\(engine)")
        }
        // The public entry point (preferred engine).
        XCTAssertEqual(Hex.encode(HMAC.sha256(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))),
                       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
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

/// A small seeded generator (SplitMix64), so a failing random input can be reproduced.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
