import AutocertHTTP
import Foundation
import Synchronization

/// A front for Pebble on the client's side: what Debian's Pebble 2.4 lacks (ACME Renewal
/// Information, RFC 9773, and certificate profiles), served to a real ACME client while
/// Pebble still issues.
///
/// It is an `HTTPTransport` over the real one: every request goes to Pebble unchanged
/// (signatures stay valid), except that the directory gains `renewalInfo` (a URL of the
/// front's own, never dialled) and `meta.profiles`, renewal-information requests are answered
/// with the window the test sets (or the failure it sets), and newOrder payloads are recorded
/// (`profile`, `replaces`), the next one naming a replaced certificate answered `409
/// alreadyReplaced` when the test asks.
public final class ACMEFront: HTTPTransport {
    /// How the renewal-information endpoint misbehaves, when the test says so.
    public enum Failure: Sendable {
        /// The connection fails (a transport error).
        case unreachable
        /// A window whose end precedes its start (RFC 9773 §4.2: not an answer).
        case malformedWindow
    }

    /// A newOrder request as the client sent it.
    public struct OrderRequest: Sendable, Hashable {
        public var identifiers: [String]
        public var profile: String?
        public var replaces: String?
    }

    /// The renewal-information base URL the directory names.
    public static let renewalInfoBase = "https://acme-front.invalid/renewal-info"

    private struct State {
        var window: (start: Date, end: Date, explanationURL: String?)?
        var windows: [String: (start: Date, end: Date, explanationURL: String?)] = [:]
        var retryAfter: Int?
        var failure: Failure?
        var renewalInfoRequests: [(identifier: String, at: Date)] = []
        var orders: [OrderRequest] = []
        var refuseNextReplacingOrder = false
        var newOrderURL: String?
    }

    private let inner: any HTTPTransport
    private let directoryURL: String
    private let profiles: [String: String]
    private let state = Mutex(State())

    /// - Parameters:
    ///   - directoryURL: Pebble's directory URL.
    ///   - inner: the real transport to Pebble.
    ///   - profiles: the profiles the directory offers (name → description).
    public init(directoryURL: String, inner: any HTTPTransport, profiles: [String: String] = [:]) {
        self.directoryURL = directoryURL
        self.inner = inner
        self.profiles = profiles
    }

    /// Renewal information from now on: this window, with an explanation and a Retry-After,
    /// for the certificate named by `identifier` (ARI's, RFC 9773 §4.1), or for every
    /// certificate without a window of its own when nil.
    public func setWindow(start: Date, end: Date, explanationURL: String? = nil, retryAfter: Int? = nil, for identifier: String? = nil) {
        state.withLock {
            if let identifier { $0.windows[identifier] = (start, end, explanationURL) } else { $0.window = (start, end, explanationURL) }
            $0.retryAfter = retryAfter
            $0.failure = nil
        }
    }

    /// Renewal-information requests fail as `failure` from now on (nil: they answer again).
    public func setFailure(_ failure: Failure?) {
        state.withLock { $0.failure = failure }
    }

    /// The next newOrder that names a replaced certificate is answered 409 alreadyReplaced.
    public func refuseNextReplacingOrder() {
        state.withLock { $0.refuseNextReplacingOrder = true }
    }

    /// The renewal-information requests so far: the certificate identifier asked, and when.
    public var renewalInfoRequests: [(identifier: String, at: Date)] { state.withLock { $0.renewalInfoRequests } }

    /// The orders so far: each one Pebble created, and each one the front refused with 409.
    public var orders: [OrderRequest] { state.withLock { $0.orders } }

    public func send(_ request: HTTPRequest, limits: HTTPLimits) async throws -> HTTPResponse {
        if request.url.hasPrefix(Self.renewalInfoBase + "/") {
            return try renewalInfo(for: String(request.url.dropFirst(Self.renewalInfoBase.count + 1)), url: request.url)
        }
        var order: OrderRequest?
        if request.method == .post, request.url == state.withLock({ $0.newOrderURL }) {
            let sent = Self.order(in: request.body ?? [])
            let refuse = state.withLock { state -> Bool in
                guard sent.replaces != nil, state.refuseNextReplacingOrder else { return false }
                state.refuseNextReplacingOrder = false
                state.orders.append(sent)
                return true
            }
            if refuse { return alreadyReplaced(request) }
            order = sent
        }
        let response = try await inner.send(request, limits: limits)
        if let order, response.status == 201 {  // an order Pebble made (not one it refused, e.g. for a bad nonce)
            state.withLock { $0.orders.append(order) }
        }
        guard request.method == .get, request.url == directoryURL, response.status == 200 else { return response }
        return try augment(directory: response)
    }

    /// The directory with `renewalInfo` and `meta.profiles` added; its newOrder URL noted.
    private func augment(directory response: HTTPResponse) throws -> HTTPResponse {
        guard var object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] else { return response }
        state.withLock { $0.newOrderURL = object["newOrder"] as? String }
        object["renewalInfo"] = Self.renewalInfoBase
        if !profiles.isEmpty {
            var meta = object["meta"] as? [String: Any] ?? [:]
            meta["profiles"] = profiles
            object["meta"] = meta
        }
        var augmented = response
        augmented.body = Array(try JSONSerialization.data(withJSONObject: object))
        return augmented
    }

    private func renewalInfo(for identifier: String, url: String) throws -> HTTPResponse {
        let (window, retryAfter, failure) = state.withLock { state in
            state.renewalInfoRequests.append((identifier, Date()))
            return (state.windows[identifier] ?? state.window, state.retryAfter, state.failure)
        }
        switch failure {
        case .unreachable:
            throw HTTPTransportError(.connectionFailed, "the test's renewal-information endpoint is down")
        case .malformedWindow:
            return Self.json(["suggestedWindow": ["start": "2030-01-02T00:00:00Z", "end": "2030-01-01T00:00:00Z"]], url: url, retryAfter: retryAfter)
        case nil:
            guard let window else {
                return HTTPResponse(status: 404, headers: [HTTPHeader(name: "Content-Type", value: "application/problem+json")],
                                    body: Array(#"{"type":"urn:ietf:params:acme:error:malformed","detail":"no window set"}"#.utf8), url: url)
            }
            var body: [String: Any] = ["suggestedWindow": ["start": Self.rfc3339(window.start), "end": Self.rfc3339(window.end)]]
            if let explanation = window.explanationURL { body["explanationURL"] = explanation }
            return Self.json(body, url: url, retryAfter: retryAfter)
        }
    }

    /// A 409 alreadyReplaced problem (RFC 9773 §5), as a CA answers an order whose `replaces`
    /// names a certificate another order already replaced.
    private func alreadyReplaced(_ request: HTTPRequest) -> HTTPResponse {
        let body = #"{"type":"urn:ietf:params:acme:error:alreadyReplaced","detail":"the certificate was already replaced (test front)","status":409}"#
        return HTTPResponse(status: 409, headers: [HTTPHeader(name: "Content-Type", value: "application/problem+json")],
                            body: Array(body.utf8), url: request.url)
    }

    /// The identifiers, profile and replaces of a JWS-wrapped newOrder payload.
    static func order(in body: [UInt8]) -> OrderRequest {
        guard let jws = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
              let encoded = jws["payload"] as? String, let payload = base64URLDecode(encoded),
              let object = try? JSONSerialization.jsonObject(with: payload) as? [String: Any] else {
            return OrderRequest(identifiers: [])
        }
        let identifiers = (object["identifiers"] as? [[String: Any]] ?? []).compactMap { $0["value"] as? String }
        return OrderRequest(identifiers: identifiers, profile: object["profile"] as? String, replaces: object["replaces"] as? String)
    }

    private static func json(_ object: [String: Any], url: String, retryAfter: Int?) -> HTTPResponse {
        var headers = [HTTPHeader(name: "Content-Type", value: "application/json")]
        if let retryAfter { headers.append(HTTPHeader(name: "Retry-After", value: "\(retryAfter)")) }
        let body = (try? JSONSerialization.data(withJSONObject: object)) ?? Data()
        return HTTPResponse(status: 200, headers: headers, body: Array(body), url: url)
    }

    private static func rfc3339(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    private static func base64URLDecode(_ text: String) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }
}
