import AutocertHTTP

/// The parts of an absolute `http://host[:port][/path]` URL that one plain HTTP request needs
/// (RFC 9110 §4.2.1); anything else is refused.
struct PlainHTTPURL: Sendable, Hashable {
    /// The host name or address, without the brackets of an IPv6 literal.
    var host: String
    var port: Int
    /// The path and query sent on the request line (RFC 9112 §3.2.1, origin-form).
    var target: String

    /// The Host header field (RFC 9110 §7.2): the host, and the port when not 80.
    var hostField: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port == 80 ? name : "\(name):\(port)"
    }

    /// Reads `url`.
    ///
    /// - Throws: ``HTTPTransportError`` with code `invalidURL` for an `https` URL (this
    ///   transport has no TLS) and for anything that is not a plain absolute `http` URL.
    init(_ url: String) throws(HTTPTransportError) {
        let lowered = url.lowercased()
        if lowered.hasPrefix("https://") {
            throw HTTPTransportError(.invalidURL, "'\(url)' is https, and this example transport speaks plain http only; use an http:// responder URL, or the libcurl transport (AutocertCurl) for https")
        }
        guard lowered.hasPrefix("http://") else {
            throw HTTPTransportError(.invalidURL, "'\(url)' is not an absolute http:// URL; give one such as http://ocsp.example.com")
        }
        guard !url.contains(where: { $0.isWhitespace || $0.asciiValue.map { $0 < 0x20 || $0 == 0x7F } == true }) else {
            throw HTTPTransportError(.invalidURL, "'\(url)' contains spaces or control characters; percent-encode them")
        }
        let rest = url.dropFirst("http://".count)
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let path = rest.dropFirst(authority.count).prefix { $0 != "#" }
        target = path.isEmpty ? "/" : (path.hasPrefix("/") ? String(path) : "/" + path)

        guard !authority.contains("@") else {
            throw HTTPTransportError(.invalidURL, "'\(url)' carries user information, which this transport does not send; remove it")
        }
        var hostPart = Substring(authority), portPart: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else {
                throw HTTPTransportError(.invalidURL, "'\(url)' has an IPv6 address without its closing ']'")
            }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            portPart = after.hasPrefix(":") ? after.dropFirst() : nil
        } else if let colon = authority.lastIndex(of: ":") {
            hostPart = authority[..<colon]
            portPart = authority[authority.index(after: colon)...]
        }
        guard !hostPart.isEmpty else {
            throw HTTPTransportError(.invalidURL, "'\(url)' names no host")
        }
        host = String(hostPart)
        if let portPart {
            guard let number = Int(portPart), (1...65_535).contains(number) else {
                throw HTTPTransportError(.invalidURL, "'\(url)' has port '\(portPart)', not a number from 1 to 65535")
            }
            port = number
        } else {
            port = 80
        }
    }
}
