/// Named blobs that survive a restart: the storage protocol shared by stapling and autocert.
///
/// The shape of Go autocert's `Cache` (get, put and delete of opaque bytes by name), and a
/// listing by prefix for housekeeping (certmagic's storage has one too). Names
/// are chosen by the library (`ocsp-<sha256>`, a host name, …); an implementation may
/// refuse names it cannot store (``StorageError/Code/invalidName``), but must store every
/// name made of letters, digits, `.`, `-`, `_` and `+`. Values are small (staples are
/// 1–4 KiB, certificates a few KiB). Implementations must be safe to call concurrently
/// and should make `put` atomic: a reader sees the old bytes or the new ones, never a mix.
public protocol BlobStorage: Sendable {
    /// The bytes stored under `name`, or nil when there are none.
    func get(_ name: String) async throws(StorageError) -> [UInt8]?
    /// Stores `bytes` under `name`, replacing what was there.
    func put(_ name: String, _ bytes: [UInt8]) async throws(StorageError)
    /// Removes `name`; removing a name that is not stored is not an error.
    func delete(_ name: String) async throws(StorageError)
    /// The names stored now that start with `prefix` (all of them for ""), in no set order.
    func list(prefix: String) async throws(StorageError) -> [String]
}

/// Why a storage operation failed, and what to do about it.
public struct StorageError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure. New codes may be added; switch with a `default`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The name is empty, too long, or holds characters the store cannot keep.
        public static let invalidName = Code("invalidName")
        /// The operating system refused the operation (permissions, disk full, I/O error).
        public static let ioFailed = Code("ioFailed")
        /// The stored value is larger than the store accepts to read back.
        public static let tooLarge = Code("tooLarge")
        /// What is stored under the name is not a regular file (a symbolic link, a FIFO, a
        /// directory, a device): the store refuses to read it. Remove it.
        public static let notRegularFile = Code("notRegularFile")
        /// The lock is held by another process and did not come free within the wait.
        public static let lockBusy = Code("lockBusy")
        /// A lock was lost while it was used (its lease ended and another holder took it):
        /// what was done under it must not be trusted or written.
        public static let lockLost = Code("lockLost")
        /// The store cannot be reached (a database down or unreachable); try again later.
        public static let unavailable = Code("unavailable")
    }

    public let code: Code
    /// What failed and what the user can do, in words fit for a log line.
    public let reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { "storage \(code): \(reason)" }
}
