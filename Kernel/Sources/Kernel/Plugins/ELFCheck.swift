import Foundation

/// Checks a file is a complete ELF shared object for this machine before `dlopen` sees
/// it: the dynamic loader crashes the whole process (SIGBUS) on a truncated library.
enum ELFCheck {
    #if arch(x86_64)
    static let machine: UInt16 = 62
    static let machineName = "x86-64"
    #elseif arch(arm64)
    static let machine: UInt16 = 183
    static let machineName = "AArch64"
    #else
    static let machine: UInt16 = 0
    static let machineName = "this machine"
    #endif

    static func validate(_ path: String) throws {
        func refuse(_ why: String) -> KernelError {
            KernelError(.pluginRefused, "plugin file \(path) \(why)")
        }
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw refuse("cannot be read: \(String(cString: strerror(errno))); check the path")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw refuse("is not a regular file") }
        guard let handle = FileHandle(forReadingAtPath: path) else { throw refuse("cannot be opened for reading; check its permissions") }
        defer { try? handle.close() }
        let size = UInt64(info.st_size)
        guard size > 0 else { throw refuse("is empty; rebuild or copy it again") }
        let bytes = [UInt8](handle.readData(ofLength: 64))
        guard bytes.count >= 4, bytes[0] == 0x7f, bytes[1] == 0x45, bytes[2] == 0x4c, bytes[3] == 0x46 else {
            throw refuse("is not an ELF shared library (bad magic number); a plugin is the .so built from its entry target")
        }
        guard bytes.count == 64 else { throw refuse("is truncated: its ELF header is incomplete") }
        guard bytes[4] == 2, bytes[5] == 1 else { throw refuse("is not a 64-bit little-endian ELF file, as \(machineName) needs") }
        func u16(_ offset: Int) -> UInt16 { UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8 }
        func u64(_ data: [UInt8], _ offset: Int) -> UInt64 {
            (0..<8).reduce(UInt64(0)) { $0 | UInt64(data[offset + $1]) << (8 * UInt64($1)) }
        }
        let type = u16(16), arch = u16(18)
        guard type == 3 else { throw refuse("is an ELF file of type \(type), not a shared library (type 3)") }
        guard arch == machine else { throw refuse("is built for ELF machine \(arch), not \(machineName); rebuild it on this platform") }
        let programOffset = u64(bytes, 32), sectionOffset = u64(bytes, 40)
        let programSize = UInt64(u16(54)), programCount = UInt64(u16(56))
        let sectionSize = UInt64(u16(58)), sectionCount = UInt64(u16(60))
        guard programSize >= 56, programOffset + programSize * programCount <= size else {
            throw refuse("is truncated: its program headers run past the end of the file (\(size) bytes)")
        }
        guard sectionOffset + sectionSize * sectionCount <= size else {
            throw refuse("is truncated: its section headers run past the end of the file (\(size) bytes)")
        }
        try handle.seek(toOffset: programOffset)
        let table = [UInt8](handle.readData(ofLength: Int(programSize * programCount)))
        guard table.count == Int(programSize * programCount) else { throw refuse("is truncated: cannot read its program headers") }
        for index in 0..<Int(programCount) {
            let base = index * Int(programSize)
            let kind = UInt32(table[base]) | UInt32(table[base + 1]) << 8 | UInt32(table[base + 2]) << 16 | UInt32(table[base + 3]) << 24
            if kind == 3 {  // PT_INTERP: a (position-independent) executable, not a library
                throw refuse("is an executable, not a shared library; build the plugin's .dynamic library product")
            }
            if kind == 1 {  // PT_LOAD
                let offset = u64(table, base + 8), fileSize = u64(table, base + 32)
                guard offset + fileSize <= size else {
                    throw refuse("is truncated: a loaded segment ends at byte \(offset + fileSize) but the file has \(size) bytes")
                }
            }
        }
    }
}
