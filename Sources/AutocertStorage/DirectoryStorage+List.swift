import Foundation

extension DirectoryStorage {
    /// The names stored in the directory that start with `prefix`: every file whose name is a
    /// storable one (temporary files of a `put` in progress, which start with `.`, are not).
    public func list(prefix: String) async throws(StorageError) -> [String] {
        let entries: [String]
        do {
            entries = try FileManager.default.contentsOfDirectory(atPath: path)
        } catch {
            throw StorageError(.ioFailed, "could not list the storage directory '\(path)' (\(error)); check its permissions")
        }
        return entries.filter { $0.hasPrefix(prefix) && Self.isValid($0) }
    }
}
