import Foundation
internal import CSHA256

/// SHA-256 (FIPS 180-4). Used for the audit hash chain, session-token hashes and request
/// fingerprints; Foundation on Linux has no digest API and Souk takes no packages.
///
/// The compression function runs on the x86 SHA extensions (the C target CSHA256) when the
/// CPU has them, and in Swift otherwise; `SOUK_SHA256=portable` forces the Swift code for
/// the whole process. Both give the same digests (CryptoTests compares them).
public struct SHA256: Sendable {
    /// Which compression function a hasher runs. Tests hash with each and compare.
    @_spi(Testing)
    public enum Engine: Sendable, CaseIterable {
        /// The Swift code in this file: any CPU.
        case portable
        /// SHA-NI (sha256rnds2, sha256msg1, sha256msg2) through CSHA256.
        case accelerated

        /// Whether this CPU can run the engine.
        public var isAvailable: Bool { self == .portable || Self.cpuHasSHAExtensions }

        /// What `SHA256()` uses: decided once per process.
        public static let preferred: Engine = {
            let forced = getenv("SOUK_SHA256").map { String(cString: $0) } == "portable"
            return !forced && cpuHasSHAExtensions ? .accelerated : .portable
        }()

        private static let cpuHasSHAExtensions = souk_sha256_accelerated() != 0
    }

    private static let acceleratedByDefault = Engine.preferred == .accelerated

    // The eight state words H0...H7 as one homogeneous tuple: separate words for the Swift
    // loop (an array here cost a bounds and uniqueness check on every access), contiguous
    // memory for the C function.
    private var state: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
        (0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19)
    private var buffer: [UInt8] = []
    private var length: UInt64 = 0
    private let accelerated: Bool

    private static let k: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]

    public init() { accelerated = Self.acceleratedByDefault }

    /// A hasher on the given engine, which must be available on this CPU.
    @_spi(Testing)
    public init(engine: Engine) {
        precondition(engine.isAvailable, "SHA-256 engine \(engine) needs the x86 SHA extensions")
        accelerated = engine == .accelerated
    }

    public mutating func update<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        // Contiguous input (arrays, UTF-8 views of native strings) is hashed block by block
        // straight from its storage; anything else byte by byte.
        let handled: Void? = bytes.withContiguousStorageIfAvailable { update(UnsafeRawBufferPointer($0)) }
        if handled == nil {
            for byte in bytes { withUnsafeBytes(of: byte) { update($0) } }
        }
    }

    private mutating func update(_ input: UnsafeRawBufferPointer) {
        var offset = 0
        length &+= UInt64(input.count)
        if !buffer.isEmpty {
            let take = min(64 - buffer.count, input.count)
            buffer.append(contentsOf: input[0..<take])
            offset = take
            if buffer.count == 64 {
                let block = buffer
                block.withUnsafeBytes { compress($0) }
                buffer.removeAll(keepingCapacity: true)
            }
        }
        // Every whole block left in one call.
        let whole = (input.count - offset) & ~63
        if whole > 0 {
            compress(UnsafeRawBufferPointer(rebasing: input[offset..<offset + whole]))
            offset += whole
        }
        if offset < input.count { buffer.append(contentsOf: input[offset...]) }
    }

    public mutating func update(_ string: String) {
        var string = string
        string.withUTF8 { update(UnsafeRawBufferPointer($0)) }
    }

    public consuming func finish() -> [UInt8] {
        let bitLength = length &* 8
        // The padding (0x80, zeros, the 64-bit length) in one or two blocks on the stack.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 128) { tail in
            var count = buffer.count
            for index in 0..<count { tail[index] = buffer[index] }
            tail[count] = 0x80
            count += 1
            let total = count <= 56 ? 64 : 128
            while count < total - 8 { tail[count] = 0; count += 1 }
            for shift in stride(from: 56, through: 0, by: -8) {
                tail[count] = UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))
                count += 1
            }
            compress(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(tail)[0..<total]))
        }
        let words = state
        return [UInt8](unsafeUninitializedCapacity: 32) { digest, initialized in
            withUnsafeBytes(of: words) { raw in
                for index in 0..<8 {
                    let word = raw.load(fromByteOffset: index * 4, as: UInt32.self)
                    digest[index * 4] = UInt8(truncatingIfNeeded: word >> 24)
                    digest[index * 4 + 1] = UInt8(truncatingIfNeeded: word >> 16)
                    digest[index * 4 + 2] = UInt8(truncatingIfNeeded: word >> 8)
                    digest[index * 4 + 3] = UInt8(truncatingIfNeeded: word)
                }
            }
            initialized = 32
        }
    }

    public static func hash<Bytes: Sequence>(_ bytes: Bytes) -> [UInt8] where Bytes.Element == UInt8 {
        var hasher = SHA256()
        hasher.update(bytes)
        return hasher.finish()
    }

    public static func hex(_ string: String) -> String {
        var hasher = SHA256()
        hasher.update(string)
        return Hex.encode(hasher.finish())
    }

    /// Compresses `blocks` (a non-empty whole number of 64-byte blocks) into the state.
    private mutating func compress(_ blocks: UnsafeRawBufferPointer) {
        let start = blocks.baseAddress!.assumingMemoryBound(to: UInt8.self)
        if accelerated {
            withUnsafeMutablePointer(to: &state) {
                $0.withMemoryRebound(to: UInt32.self, capacity: 8) { words in
                    souk_sha256_compress_blocks(words, start, blocks.count / 64)
                }
            }
        } else {
            for offset in stride(from: 0, to: blocks.count, by: 64) { compressPortably(start + offset) }
        }
    }

    private mutating func compressPortably(_ bytes: UnsafePointer<UInt8>) {
        Self.k.withUnsafeBufferPointer { k in
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w in
                for i in 0..<16 {
                    w[i] = UInt32(bytes[i &* 4]) << 24 | UInt32(bytes[i &* 4 &+ 1]) << 16
                        | UInt32(bytes[i &* 4 &+ 2]) << 8 | UInt32(bytes[i &* 4 &+ 3])
                }
                for i in 16..<64 {
                    let w15 = w[i &- 15], w2 = w[i &- 2]
                    let s0 = w15.rotatedRight(7) ^ w15.rotatedRight(18) ^ (w15 >> 3)
                    let s1 = w2.rotatedRight(17) ^ w2.rotatedRight(19) ^ (w2 >> 10)
                    w[i] = w[i &- 16] &+ s0 &+ w[i &- 7] &+ s1
                }
                var (a, b, c, d, e, f, g, h) = state
                for i in 0..<64 {
                    let s1 = e.rotatedRight(6) ^ e.rotatedRight(11) ^ e.rotatedRight(25)
                    let choice = (e & f) ^ (~e & g)
                    let t1 = h &+ s1 &+ choice &+ k[i] &+ w[i]
                    let s0 = a.rotatedRight(2) ^ a.rotatedRight(13) ^ a.rotatedRight(22)
                    let majority = (a & b) ^ (a & c) ^ (b & c)
                    let t2 = s0 &+ majority
                    h = g; g = f; f = e; e = d &+ t1; d = c; c = b; b = a; a = t1 &+ t2
                }
                state.0 &+= a; state.1 &+= b; state.2 &+= c; state.3 &+= d
                state.4 &+= e; state.5 &+= f; state.6 &+= g; state.7 &+= h
            }
        }
    }
}

extension UInt32 {
    // Masking shifts: the compiler turns the pair into one rotate instruction.
    @inline(__always) fileprivate func rotatedRight(_ n: UInt32) -> UInt32 { (self &>> n) | (self &<< (32 &- n)) }
}
