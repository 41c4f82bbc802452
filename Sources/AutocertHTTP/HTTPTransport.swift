/// Sends one HTTP request and returns the whole response, within limits.
///
/// This is the only way the OCSP client and the ACME client reach the network, so that
/// tests, proxies and other HTTP stacks can stand in for libcurl. This module holds only the
/// protocol and its values and links no C library; the libcurl implementation,
/// `CurlTransport`, is in the `AutocertCurl` module.
/// An implementation must honour every field of ``HTTPLimits``: a fetch without a deadline
/// or a body cap is how a slow or hostile server pins a process.
public protocol HTTPTransport: Sendable {
    /// Performs `request`, following at most `limits.maxRedirects` redirects.
    ///
    /// - Throws: ``HTTPTransportError`` when no complete response arrived within the limits.
    ///   An HTTP error status (404, 500, …) is not thrown: it is returned in the response.
    func send(_ request: HTTPRequest, limits: HTTPLimits) async throws -> HTTPResponse
}

/// One HTTP request.
public struct HTTPRequest: Sendable, Hashable {
    /// The request method.
    public enum Method: String, Sendable, Hashable {
        case get = "GET"
        case post = "POST"
        case head = "HEAD"
    }

    public var method: Method
    /// An absolute `http` or `https` URL.
    public var url: String
    /// Header fields in order; names are case-insensitive.
    public var headers: [HTTPHeader]
    /// The request body (POST only).
    public var body: [UInt8]?

    public init(method: Method, url: String, headers: [HTTPHeader] = [], body: [UInt8]? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

/// One header field.
public struct HTTPHeader: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// One complete HTTP response.
public struct HTTPResponse: Sendable, Hashable {
    /// The status code of the final response (after redirects).
    public var status: Int
    /// The header fields of the final response.
    public var headers: [HTTPHeader]
    /// The body, at most `HTTPLimits.maxBodyBytes` long.
    public var body: [UInt8]
    /// The URL that answered, after redirects.
    public var url: String

    public init(status: Int, headers: [HTTPHeader], body: [UInt8], url: String) {
        self.status = status
        self.headers = headers
        self.body = body
        self.url = url
    }

    /// The value of the first header field called `name` (case-insensitive), if any.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }

    /// Every value of the header fields called `name` (case-insensitive), in order.
    public func headers(named name: String) -> [String] {
        let wanted = name.lowercased()
        return headers.filter { $0.name.lowercased() == wanted }.map(\.value)
    }
}

/// The limits every fetch runs under.
public struct HTTPLimits: Sendable, Hashable {
    /// The whole exchange (connect, redirects, body) must end within this time.
    public var timeout: Duration
    /// A body larger than this ends the fetch with ``HTTPTransportError/Code/bodyTooLarge``.
    public var maxBodyBytes: Int
    /// How many redirects are followed before giving up.
    public var maxRedirects: Int

    public init(timeout: Duration = .seconds(10), maxBodyBytes: Int = 64 * 1024, maxRedirects: Int = 2) {
        self.timeout = timeout
        self.maxBodyBytes = maxBodyBytes
        self.maxRedirects = maxRedirects
    }
}
