/// Why an HTTP exchange ended without a complete response.
public struct HTTPTransportError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure. New codes may be added; switch with a `default`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// The URL is not an absolute http or https URL.
        public static let invalidURL = Code("invalidURL")
        /// The server could not be reached (refused, unresolvable, reset).
        public static let connectionFailed = Code("connectionFailed")
        /// The deadline passed before the response was complete.
        public static let timedOut = Code("timedOut")
        /// The body exceeded the configured cap.
        public static let bodyTooLarge = Code("bodyTooLarge")
        /// More redirects than allowed.
        public static let tooManyRedirects = Code("tooManyRedirects")
        /// The TLS handshake or certificate verification failed.
        public static let tlsFailure = Code("tlsFailure")
        /// The calling task was cancelled.
        public static let cancelled = Code("cancelled")
        /// Any other failure of the HTTP stack.
        public static let transportFailure = Code("transportFailure")

        public var description: String { name }
    }

    /// What kind of failure this is.
    public let code: Code
    /// What failed and what the user can do, in words.
    public let reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { "HTTP \(code): \(reason)" }
}
