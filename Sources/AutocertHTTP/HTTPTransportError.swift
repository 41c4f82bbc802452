/// Why an HTTP exchange ended without a complete response.
public struct HTTPTransportError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure. New codes may be added; switch with a `default`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Backing: String, Hashable, Sendable {
            case invalidURL, connectionFailed, timedOut, bodyTooLarge, tooManyRedirects, tlsFailure, cancelled, transportFailure
        }
        fileprivate let backing: Backing

        /// The URL is not an absolute http or https URL.
        public static let invalidURL = Code(backing: .invalidURL)
        /// The server could not be reached (refused, unresolvable, reset).
        public static let connectionFailed = Code(backing: .connectionFailed)
        /// The deadline passed before the response was complete.
        public static let timedOut = Code(backing: .timedOut)
        /// The body exceeded the configured cap.
        public static let bodyTooLarge = Code(backing: .bodyTooLarge)
        /// More redirects than allowed.
        public static let tooManyRedirects = Code(backing: .tooManyRedirects)
        /// The TLS handshake or certificate verification failed.
        public static let tlsFailure = Code(backing: .tlsFailure)
        /// The calling task was cancelled.
        public static let cancelled = Code(backing: .cancelled)
        /// Any other failure of the HTTP stack.
        public static let transportFailure = Code(backing: .transportFailure)

        public var description: String { backing.rawValue }
    }

    /// What kind of failure this is.
    public let code: Code
    /// What failed and what the user can do, in words.
    public let reason: String

    public init(code: Code, reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { "HTTP \(code): \(reason)" }
}
