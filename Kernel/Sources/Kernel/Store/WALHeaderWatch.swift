import Foundation
import Synchronization
internal import CSQLite

/// Sees commits without a system call: reads the header of the WAL index, the shared
/// memory (`<db>-shm`) that every connection of every process maps and that a committing
/// writer updates before its COMMIT returns.
///
/// The header (https://sqlite.org/walformat.html, "The WAL-Index Header") is written twice,
/// copy 2 then copy 1; a reader takes copy 1 then copy 2 and trusts them only when they
/// agree. Its `iChange` field counts commits and `mxFrame` is the last valid WAL frame, so
/// together they change on every commit. The memory is SQLite's own mapping, obtained
/// through the VFS (`xShmMap` on the file of a connection kept open for this), so no file
/// is opened behind SQLite's back (closing one would drop its POSIX locks).
///
/// Used by `DataVersionProbe`, with `PRAGMA data_version` as the fallback when the index
/// cannot be mapped (another VFS, or `SOUK_CHANGE_PROBE=data_version`).
final class WALHeaderWatch: @unchecked Sendable {
    private let handle: OpaquePointer
    private let header: UnsafeRawPointer
    /// The (iChange, mxFrame) last seen by any probe; set only after the generation was
    /// raised for it, so a probe that finds its own reading here knows the raise happened.
    private let lastSeen = Atomic<UInt64>(0)

    init?(path: String) {
        var db: OpaquePointer?
        guard sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK, let db else {
            sqlite3_close_v2(db)
            return nil
        }
        // A read maps the WAL index; the mapping lives as long as this connection.
        var file: UnsafeMutablePointer<sqlite3_file>?
        guard sqlite3_exec(db, "PRAGMA data_version", nil, nil, nil) == SQLITE_OK,
              sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &file) == SQLITE_OK,
              let file, let methods = file.pointee.pMethods, methods.pointee.iVersion >= 2,
              let shmMap = methods.pointee.xShmMap
        else {
            sqlite3_close_v2(db)
            return nil
        }
        var region: UnsafeMutableRawPointer?
        guard shmMap(file, 0, 32 * 1024, 0, &region) == SQLITE_OK, let region else {
            sqlite3_close_v2(db)
            return nil
        }
        handle = db
        header = UnsafeRawPointer(region)
        // Sanity: an initialised header whose two copies agree.
        guard read() != nil else {
            sqlite3_close_v2(db)
            return nil
        }
    }

    deinit { sqlite3_close_v2(handle) }

    /// `(iChange << 32) | mxFrame` of a consistent header, or nil while a writer is
    /// between the two copies (or the index is not initialised).
    private func read() -> UInt64? {
        var first = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        var second = first
        withUnsafeMutableBytes(of: &first) { $0.copyMemory(from: UnsafeRawBufferPointer(start: header, count: 48)) }
        atomicMemoryFence(ordering: .acquiring)
        withUnsafeMutableBytes(of: &second) { $0.copyMemory(from: UnsafeRawBufferPointer(start: header + 48, count: 48)) }
        // The header is read before anything the caller loads next (`lastSeen`, the
        // generation), on any memory model.
        atomicMemoryFence(ordering: .acquiring)
        guard first == second else { return nil }
        return withUnsafeBytes(of: first) { bytes -> UInt64? in
            guard bytes.load(fromByteOffset: 12, as: UInt8.self) != 0 else { return nil }  // isInit
            let change = bytes.load(fromByteOffset: 8, as: UInt32.self)
            let frame = bytes.load(fromByteOffset: 16, as: UInt32.self)
            return UInt64(change) << 32 | UInt64(frame)
        }
    }

    /// The tag for this request, or nil after raising `generation` (see
    /// `DataVersionProbe.current`). Lock-free.
    ///
    /// Why it is safe: the tag is loaded only after this reading matched `lastSeen`, and
    /// `lastSeen` takes a reading only after the generation was raised for it. A commit that
    /// completed before this reading changed the header, so a match means some probe saw the
    /// new header and raised the generation first: an entry tagged with the generation
    /// loaded here was read (its snapshot is taken after its own tag) after that commit.
    func current(_ generation: borrowing Atomic<Int64>) -> Int64? {
        guard let reading = read() else {
            generation.add(1, ordering: .sequentiallyConsistent)
            return nil
        }
        guard reading == lastSeen.load(ordering: .sequentiallyConsistent) else {
            generation.add(1, ordering: .sequentiallyConsistent)
            lastSeen.store(reading, ordering: .sequentiallyConsistent)
            return nil
        }
        return generation.load(ordering: .sequentiallyConsistent)
    }
}
