import AutocertHTTP
import Foundation

/// Turning CA answers into values or ``ACMEError``s: problem documents, JSON, Retry-After.
enum ACMEResponse {
    /// The problem in an error response (RFC 8555 §6.7), or nil for a success status.
    static func error(in response: HTTPResponse, url: String) -> ACMEError? {
        guard response.status >= 400 else { return nil }
        let retryAfter = ACMEResponse.retryAfter(response)
        guard let problem = try? JSONDecoder().decode(ACMEProblem.self, from: Data(response.body)) else {
            return ACMEError(
                .invalidResponse,
                "the CA answered HTTP \(response.status) without a problem document (\(describeBody(response)))",
                status: response.status, retryAfter: retryAfter, url: url)
        }
        if problem.isACMEError("rateLimited") {
            return ACMEError(.rateLimited, "the CA's rate limit was reached; wait before trying again, never retry at once",
                             problem: problem, status: response.status, retryAfter: retryAfter, url: url)
        }
        if problem.isACMEError("badNonce") {
            return ACMEError(.badNonce, "the CA rejected the request's nonce", problem: problem, status: response.status, url: url)
        }
        return ACMEError(.serverProblem, "the CA refused the request", problem: problem,
                         status: response.status, retryAfter: retryAfter, url: url)
    }

    /// Decodes a JSON resource, or says precisely why it is not one (HTML, truncated, wrong shape).
    static func decode<T: Decodable>(_ type: T.Type, from response: HTTPResponse, url: String, what: String) throws -> T {
        let contentType = response.header("Content-Type")?.lowercased() ?? ""
        if contentType.contains("html") || response.body.first.map({ $0 == UInt8(ascii: "<") }) == true {
            throw ACMEError(.invalidResponse, "the CA answered with HTML instead of the \(what) JSON (\(describeBody(response)))",
                            status: response.status, url: url)
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(response.body))
        } catch {
            throw ACMEError(.invalidResponse, "the \(what) is not valid JSON of the expected shape (\(jsonFailure(error))); the answer may be truncated",
                            status: response.status, url: url)
        }
    }

    /// The `Retry-After` header (RFC 9110 §10.2.3): delay-seconds or an HTTP-date.
    static func retryAfter(_ response: HTTPResponse, now: Date = Date()) -> Duration? {
        response.retryAfter(now: now)
    }

    /// The `Location` header, required after a creation (RFC 8555 §7.3, §7.4).
    static func location(_ response: HTTPResponse, url: String, what: String) throws -> String {
        guard let location = response.header("Location"), !location.isEmpty else {
            throw ACMEError(.invalidResponse, "the CA created the \(what) but sent no Location header", status: response.status, url: url)
        }
        return location
    }

    /// The targets of `Link` headers with relation `rel` (RFC 8288), e.g. `alternate` (RFC 8555 §7.4.2).
    static func links(_ response: HTTPResponse, rel: String) -> [String] {
        response.headers(named: "Link").flatMap { $0.split(separator: ",") }.compactMap { entry -> String? in
            let parts = entry.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let target = parts.first, target.hasPrefix("<"), target.hasSuffix(">") else { return nil }
            let relations = parts.dropFirst().filter { $0.lowercased().hasPrefix("rel=") }
                .map { $0.dropFirst(4).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
            return relations.contains(rel) ? String(target.dropFirst().dropLast()) : nil
        }
    }

    static func describeBody(_ response: HTTPResponse) -> String {
        let type = response.header("Content-Type") ?? "no Content-Type"
        let snippet = String(decoding: response.body.prefix(80), as: UTF8.self)
            .replacingOccurrences(of: "\n", with: " ")
        return "\(type), \(response.body.count) bytes: \"\(snippet)\(response.body.count > 80 ? "…" : "")\""
    }

    private static func jsonFailure(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context): return context.underlyingError.map { "\($0.localizedDescription)" } ?? context.debugDescription
        case DecodingError.keyNotFound(let key, _): return "missing \"\(key.stringValue)\""
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "wrong type at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        default: return "\(error)"
        }
    }
}
