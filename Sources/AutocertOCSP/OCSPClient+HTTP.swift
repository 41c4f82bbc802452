import AutocertHTTP
import Foundation

extension OCSPClient {
    /// The HTTP request for `der` (RFC 5019 §5): GET with the base64 request appended to the
    /// URL when that encoding is at most 255 bytes, so caches can answer it; POST otherwise.
    static func httpRequest(for der: [UInt8], url: String) -> HTTPRequest {
        let encoded = Data(der).base64EncodedString()
        let accept = HTTPHeader(name: "Accept", value: "application/ocsp-response")
        if encoded.utf8.count <= 255 {
            let separator = url.hasSuffix("/") ? "" : "/"
            return HTTPRequest(method: .get, url: url + separator + percentEncode(encoded), headers: [accept])
        }
        return HTTPRequest(
            method: .post, url: url,
            headers: [HTTPHeader(name: "Content-Type", value: "application/ocsp-request"), accept],
            body: der
        )
    }

    /// Percent-encodes the base64 characters that are not safe in a path segment (+, /, =).
    static func percentEncode(_ base64: String) -> String {
        var out = ""
        for character in base64 {
            switch character {
            case "+": out += "%2B"
            case "/": out += "%2F"
            case "=": out += "%3D"
            default: out.append(character)
            }
        }
        return out
    }

    /// Sends the request and checks the HTTP layer: status 200 and
    /// Content-Type application/ocsp-response (RFC 5019 §5, RFC 6960 appendix A.2).
    func exchange(_ der: [UInt8], url: String) async throws(OCSPError) -> HTTPResponse {
        let limits = HTTPLimits(timeout: configuration.timeout, maxBodyBytes: configuration.maxResponseBytes, maxRedirects: configuration.maxRedirects)
        let response: HTTPResponse
        do {
            response = try await transport.send(Self.httpRequest(for: der, url: url), limits: limits)
        } catch let error as HTTPTransportError {
            throw OCSPError(error.code == .timedOut ? .timedOut : .transportFailed, "\(url): \(error.reason)")
        } catch {
            throw OCSPError(.transportFailed, "\(url): \(error)")
        }
        guard response.status == 200 else {
            throw OCSPError(.httpStatus, "\(url) answered HTTP \(response.status); the responder is failing or the URL is wrong",
                            retryAfter: response.retryAfter())
        }
        let contentType = response.header("Content-Type")?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        guard contentType == "application/ocsp-response" else {
            throw OCSPError(.wrongContentType, "\(url) answered with Content-Type '\(contentType ?? "none")', not application/ocsp-response; it is not an OCSP responder (a captive portal or a misconfigured proxy?)")
        }
        return response
    }

    /// The max-age directive of a Cache-Control value (RFC 5019 §6.2, RFC 9111 §5.2.2.1).
    static func maxAge(_ cacheControl: String?) -> Duration? {
        guard let cacheControl else { return nil }
        for directive in cacheControl.split(separator: ",") {
            let parts = directive.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2, parts[0].lowercased() == "max-age", let seconds = Int(parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))), seconds >= 0 {
                return .seconds(seconds)
            }
        }
        return nil
    }

    /// A Retry-After value in seconds (RFC 9110 §10.2.3); the HTTP-date form is read too.
    static func retryAfter(_ value: String?) -> Duration? {
        HTTPResponse.retryAfter(value)
    }
}
