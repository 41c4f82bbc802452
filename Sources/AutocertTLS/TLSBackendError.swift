/// A failure of a TLS backend: what failed, what to do, and the C library's own errors.
public struct TLSBackendError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is; compare with the static members.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// A ``CertifiedKey`` that the library cannot load.
        public static let invalidCertifiedKey = Code("invalidCertifiedKey")
        /// The peer did not speak TLS (plain HTTP, garbage, SSL 2).
        public static let notTLS = Code("notTLS")
        /// The ClientHello is malformed (RFC 8446 §4.1.2).
        public static let invalidClientHello = Code("invalidClientHello")
        /// The ClientHello is larger than ``TLSServerConfiguration/maximumClientHelloSize``.
        public static let clientHelloTooLarge = Code("clientHelloTooLarge")
        /// The ClientHello is spread over more TLS records than a client would use (64).
        public static let clientHelloTooFragmented = Code("clientHelloTooFragmented")
        /// The connection ended in the middle of a ClientHello.
        public static let truncatedClientHello = Code("truncatedClientHello")
        /// The selector had no certificate for the name asked for.
        public static let noCertificate = Code("noCertificate")
        /// The library failed the handshake (its errors are in ``TLSBackendError/libraryErrors``).
        public static let handshakeFailed = Code("handshakeFailed")
        /// The handshake did not finish within the configured timeout.
        public static let handshakeTimeout = Code("handshakeTimeout")
        /// A library call failed outside a handshake.
        public static let libraryFailure = Code("libraryFailure")
        /// The peer closed the connection without close_notify (RFC 8446 §6.1).
        public static let unexpectedClose = Code("unexpectedClose")
    }

    public let code: Code
    /// What failed and what to do about it.
    public let reason: String
    /// The library's error stack, drained when the error was made (outermost last).
    public let libraryErrors: [String]

    public init(_ code: Code, _ reason: String, libraryErrors: [String] = []) {
        self.code = code
        self.reason = reason
        self.libraryErrors = libraryErrors
    }

    public var description: String {
        libraryErrors.isEmpty ? "TLS \(code): \(reason)" : "TLS \(code): \(reason) [\(libraryErrors.joined(separator: "; "))]"
    }
}
