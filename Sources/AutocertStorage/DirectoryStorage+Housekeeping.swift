import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension DirectoryStorage {
    /// How old a temporary file must be before init takes it for the leftover of an
    /// interrupted write: a younger one may belong to a write still in progress (another
    /// instance on the same directory, in this process or another).
    static let abandonedTemporaryAge: TimeInterval = 60

    /// The temporary file `put` writes before renaming it over `name`: `.NAME.DIGITS.tmp`.
    /// A leading `.` keeps it apart from every storable name (``isValid(_:)``).
    static func temporaryName(for name: String) -> String {
        ".\(name).\(UInt64.random(in: 0...UInt64.max)).tmp"
    }

    /// Whether `file` is named as ``temporaryName(for:)`` names temporaries, and nothing else.
    static func isTemporaryName(_ file: String) -> Bool {
        guard file.hasPrefix("."), file.hasSuffix(".tmp") else { return false }
        let middle = file.dropFirst().dropLast(4)
        guard let dot = middle.lastIndex(of: ".") else { return false }
        let digits = middle[middle.index(after: dot)...]
        guard (1...20).contains(digits.utf8.count), digits.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
            return false
        }
        return isValid(String(middle[..<dot]))
    }

    /// Makes the existing directory 0700 when group or others have any permission on it:
    /// stored values include private keys. Logged as a warning; throws if it cannot be done.
    func makePrivate(logger: Logger) throws(StorageError) {
        var status = stat()
        guard stat(path, &status) == 0 else { throw ioError("stat the storage directory '\(path)'") }
        let mode = status.st_mode & 0o7777
        guard mode & 0o077 != 0 else { return }
        let was = "0" + String(mode, radix: 8)
        guard chmod(path, 0o700) == 0 else {
            let code = errno
            throw StorageError(.ioFailed, "the storage directory '\(path)' is open to other users (mode \(was)) and could not be made 0700: \(String(cString: strerror(code))) (errno \(code)); run chmod 700 on it as its owner, or choose another storage path")
        }
        logger.warning("the storage directory was open to other users; changed its mode to 0700", metadata: ["path": "\(path)", "previousMode": "\(was)"])
    }

    /// Removes the temporary files of writes a crash interrupted (between creating the
    /// temporary and renaming it): only names ``isTemporaryName(_:)`` accepts, only regular
    /// files, only those last modified over ``abandonedTemporaryAge`` ago. Logged as a
    /// notice; a file that cannot be removed is logged and left.
    func removeAbandonedTemporaries(logger: Logger) {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: path) else { return }
        let cutoff = Date().timeIntervalSince1970 - Self.abandonedTemporaryAge
        var removed: [String] = []
        for entry in entries.sorted() where Self.isTemporaryName(entry) {
            let file = "\(path)/\(entry)"
            var status = stat()
            guard lstat(file, &status) == 0, Self.irregularKind(status.st_mode) == nil,
                  TimeInterval(Self.modificationSeconds(status)) < cutoff else { continue }
            if unlink(file) == 0 {
                removed.append(entry)
            } else {
                let code = errno
                logger.warning("could not remove a temporary file left by an interrupted write",
                               metadata: ["path": "\(file)", "error": "\(String(cString: strerror(code))) (errno \(code))"])
            }
        }
        guard !removed.isEmpty else { return }
        try? syncDirectory()
        logger.notice("removed temporary files left by interrupted writes", metadata: ["path": "\(path)", "files": "\(removed.joined(separator: ","))"])
    }

    /// The last modification time of `status`, in seconds since 1970.
    static func modificationSeconds(_ status: stat) -> Int {
        #if canImport(Darwin)
        Int(status.st_mtimespec.tv_sec)
        #else
        Int(status.st_mtim.tv_sec)
        #endif
    }
}
