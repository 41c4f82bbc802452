import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The default ``BlobStorage``: one file per name in a private directory.
///
/// The directory is created with mode 0700 and each file with 0600, since stored values
/// may include private keys (autocert) and an attacker who can replace a staple can at
/// least deny it. `put` writes a temporary file in the same directory, fsyncs it, renames
/// it over the name and fsyncs the directory, so a crash leaves the old value or the new
/// one, never a torn file (rename(2) is atomic within a file system).
///
/// Housekeeping at init (both logged): an existing directory that other users can enter or
/// read is made 0700, and temporary files of writes a crash interrupted are removed. `get`
/// reads only regular files: a symbolic link, FIFO, directory or device under a name is
/// refused at once (``StorageError/Code/notRegularFile``), never followed or waited on.
public struct DirectoryStorage: BlobStorage {
    /// The directory that holds the files.
    public let path: String
    /// A file larger than this is refused on `get`. Default 1 MiB.
    public var maximumBlobBytes: Int
    /// The locks held through this storage (shared by its copies).
    let heldLocks = HeldLocks()

    /// Uses `path`, creating it (and its parents) with mode 0700 when missing.
    ///
    /// An existing directory that others may use (any group or other permission bit, such
    /// as a `mkdir` under umask 022 makes) is changed to 0700, with a warning. Temporary
    /// files that interrupted writes left (only names this type makes, last modified over
    /// a minute ago) are removed, with a notice.
    ///
    /// - Parameter logger: where those two repairs are reported. Default a logger labelled
    ///   `autocert.storage` on the bootstrapped logging system.
    /// - Throws: ``StorageError/Code/ioFailed`` when the directory cannot be created, exists
    ///   and is not a directory, or is open to others and cannot be made 0700.
    public init(path: String, maximumBlobBytes: Int = 1 << 20, logger: Logger = Logger(label: "autocert.storage")) throws(StorageError) {
        self.path = path
        self.maximumBlobBytes = maximumBlobBytes
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw StorageError(.ioFailed, "'\(path)' exists and is not a directory; choose another storage path")
            }
            try makePrivate(logger: logger)
            removeAbandonedTemporaries(logger: logger)
            return
        }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw StorageError(.ioFailed, "could not create the storage directory '\(path)' (\(error)); check its parent's permissions")
        }
    }

    public func get(_ name: String) async throws(StorageError) -> [UInt8]? {
        let file = try filePath(name)
        // O_NOFOLLOW: a symbolic link is not followed (ELOOP); O_NONBLOCK: opening a FIFO
        // does not wait for a writer. What is open is then checked to be a regular file.
        let fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        if fd < 0 {
            let code = errno
            if code == ENOENT { return nil }
            if code == ELOOP { throw Self.notRegularFile(file, kind: "symbolic link") }
            throw ioError("open '\(file)' for reading")
        }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw ioError("stat '\(file)'") }
        if let kind = Self.irregularKind(status.st_mode) { throw Self.notRegularFile(file, kind: kind) }
        let size = Int(status.st_size)
        guard size <= maximumBlobBytes else {
            throw StorageError(.tooLarge, "'\(file)' is larger than \(maximumBlobBytes) bytes; it is not something this library stored")
        }
        // Read the size fstat gave, plus one byte to notice a file that grew meanwhile.
        var bytes = [UInt8](repeating: 0, count: size + 1)
        var filled = 0
        while filled < bytes.count {
            let count = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, $0.count - filled) }
            if count < 0 {
                if errno == EINTR { continue }
                throw ioError("read '\(file)'")
            }
            if count == 0 { break }
            filled += count
        }
        guard filled <= size else {
            throw StorageError(.ioFailed, "'\(file)' changed while it was read; retry")
        }
        bytes.removeLast(bytes.count - filled)
        return bytes
    }

    public func put(_ name: String, _ bytes: [UInt8]) async throws(StorageError) {
        let file = try filePath(name)
        let temporary = "\(path)/\(Self.temporaryName(for: name))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ioError("create '\(temporary)'") }
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
            if count < 0 {
                if errno == EINTR { continue }
                let error = ioError("write '\(temporary)'")
                close(fd)
                unlink(temporary)
                throw error
            }
            written += count
        }
        guard fsync(fd) == 0 else {
            let error = ioError("fsync '\(temporary)'")
            close(fd)
            unlink(temporary)
            throw error
        }
        close(fd)
        guard rename(temporary, file) == 0 else {
            let error = ioError("rename '\(temporary)' to '\(file)'")
            unlink(temporary)
            throw error
        }
        try syncDirectory()
    }

    public func delete(_ name: String) async throws(StorageError) {
        let file = try filePath(name)
        guard unlink(file) == 0 || errno == ENOENT else { throw ioError("delete '\(file)'") }
        try syncDirectory()
    }

    /// The file for `name`; refuses names that could leave the directory or hide as temporaries.
    func filePath(_ name: String) throws(StorageError) -> String {
        guard Self.isValid(name) else {
            throw StorageError(.invalidName, "'\(name)' is not a storable name (1–200 of A–Z a–z 0–9 . - _ +, not starting with '.')")
        }
        return "\(path)/\(name)"
    }

    static func isValid(_ name: String) -> Bool { StorageName.isValid(name) }

    /// fsync(2) on the directory, so that a rename or unlink survives a crash.
    func syncDirectory() throws(StorageError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw ioError("open the directory '\(path)'") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw ioError("fsync the directory '\(path)'") }
    }

    func ioError(_ what: String) -> StorageError {
        let code = errno
        return StorageError(.ioFailed, "could not \(what): \(String(cString: strerror(code))) (errno \(code)); check permissions and free space")
    }

    /// What a file of mode `mode` is when it is not a regular file (for messages); nil for a regular file.
    static func irregularKind(_ mode: mode_t) -> String? {
        switch mode & S_IFMT {
        case S_IFREG: nil
        case S_IFLNK: "symbolic link"
        case S_IFIFO: "FIFO"
        case S_IFDIR: "directory"
        case S_IFSOCK: "socket"
        case S_IFCHR: "character device"
        case S_IFBLK: "block device"
        default: "special file"
        }
    }

    /// The error of a `get` that found something other than a regular file under a name.
    static func notRegularFile(_ file: String, kind: String) -> StorageError {
        StorageError(.notRegularFile, "'\(file)' is a \(kind), not a regular file; this store writes only regular files, so something else put it there: remove it (the name then reads as absent)")
    }
}
