import AutocertCurl
import AutocertHTTP
@_spi(OCSPWire) import AutocertOCSP
import Foundation
import X509

/// An OCSP responder for the certificates Pebble issues: a real `openssl ocsp` signing
/// with Pebble's intermediate key, whose index is kept in step with Pebble.
///
/// Pebble does not answer OCSP; it only writes `ocspResponderURL` into the certificates it
/// issues. This front listens on that URL. For each request it asks Pebble's management
/// interface for the status of every serial asked about (`/cert-status-by-serial/`),
/// brings the index up to date, and passes the request to the `openssl ocsp` daemon, whose
/// answer it returns unchanged. ``revoke(serialHex:reason:)`` marks a certificate revoked
/// here only, as a CA's responder would before Pebble knows.
public final class PebbleOCSPResponder: Sendable {
    public let port: Int
    private let front: LoopbackHTTPServer
    private let directory: String
    private let validityMinutes: Int
    private let sync: Locked<IndexSync?>
    private let state: Locked<State>

    private struct State {
        var localRevocations: [String: (time: Date, reason: String?)] = [:]
        var notAfter: [String: Date] = [:]
    }

    /// The URL to give Pebble as `ocspResponderURL`.
    public var url: String { "http://127.0.0.1:\(port)" }

    /// How many OCSP requests the front has received.
    public var requestCount: Int { front.requests.count }

    /// Binds the front on a free 127.0.0.1 port at once, so its URL can go into Pebble's
    /// configuration with no window in which another process could take the port. It
    /// answers 503 until ``start(managementURL:managementRootPEMFile:)``.
    ///
    /// - Parameters:
    ///   - directory: where the intermediate's key (0600), certificate and index go.
    ///   - validityMinutes: how long each response is valid (nextUpdate − thisUpdate). Default 60.
    public init(directory: String, validityMinutes: Int = 60) throws {
        self.validityMinutes = validityMinutes
        let sync = Locked<IndexSync?>(nil)
        let state = Locked(State())
        self.sync = sync
        self.state = state
        self.directory = directory
        // One request at a time, as the `openssl ocsp` daemon behind it serves them anyway:
        // concurrent index updates would race each other's rewrite and reload (the daemon
        // notices a new index by its inode and one-second mtime), and a request for a serial
        // another request just added could reach the daemon before its reload, which then
        // answers `unknown`. Each connection has its own thread, so blocking here is fine.
        let oneAtATime = NSLock()
        self.front = try LoopbackHTTPServer { request in
            guard let current = sync.withLock({ $0 }) else {
                return .respond(status: 503, headers: [("Retry-After", "1")], body: Array("not started".utf8))
            }
            oneAtATime.lock()
            defer { oneAtATime.unlock() }
            return Blocking.run { await current.answer(request) }
        }
        self.port = front.port
    }

    /// Fetches Pebble's intermediate certificate and key from its management interface and
    /// starts the `openssl ocsp` daemon that signs with them.
    ///
    /// - Parameter includeSignerCertificate: whether responses embed the signer's (the
    ///   intermediate's) certificate; false runs `openssl ocsp -resp_no_certs`, as Caddy 2.6
    ///   needs (it rejects an issuer-signed response that embeds the issuer).
    public func start(managementURL: String, managementRootPEMFile: String, includeSignerCertificate: Bool = true) async throws {
        let transport = CurlTransport(configuration: .init(caBundlePath: managementRootPEMFile))
        let limits = HTTPLimits(timeout: .seconds(10), maxBodyBytes: 256 * 1024)
        func fetch(_ path: String) async throws -> [UInt8] {
            let response = try await transport.send(HTTPRequest(method: .get, url: managementURL + path), limits: limits)
            guard response.status == 200 else { throw TestSupportError("Pebble \(path) answered HTTP \(response.status)") }
            return response.body
        }
        let certificatePath = directory + "/pebble-intermediate.pem"
        let keyPath = directory + "/pebble-intermediate.key"
        try Data(try await fetch("/intermediates/0")).write(to: URL(fileURLWithPath: certificatePath))
        guard FileManager.default.createFile(atPath: keyPath, contents: Data(try await fetch("/intermediate-keys/0")),
                                             attributes: [.posixPermissions: 0o600]) else {
            throw TestSupportError("cannot write \(keyPath)")
        }
        let responder = try await OpenSSLOCSPResponder(
            directory: directory, caCertificatePath: certificatePath,
            signerCertificatePath: certificatePath, signerKeyPath: keyPath, entries: [], validityMinutes: validityMinutes,
            includeSignerCertificate: includeSignerCertificate)
        sync.withLock { $0 = IndexSync(transport: transport, limits: limits, managementURL: managementURL, responder: responder, state: state) }
    }

    /// Marks `serialHex` revoked in this responder (not in Pebble).
    public func revoke(serialHex: String, reason: String? = nil) {
        state.withLock { $0.localRevocations[serialHex.uppercased()] = (Date(), reason) }
    }

    /// Stops the front and the daemon.
    public func stop() async {
        front.stop()
        if let responder = sync.withLock({ $0?.responder }) { await responder.stop() }
    }

    private struct IndexSync: Sendable {
        let transport: CurlTransport
        let limits: HTTPLimits
        let managementURL: String
        let responder: OpenSSLOCSPResponder
        let state: Locked<State>

        /// Brings the index up to date for the serials in `request`, then forwards it.
        func answer(_ request: LoopbackHTTPServer.Request) async -> LoopbackHTTPServer.Reply {
            guard let der = Self.requestDER(request), let parsed = try? OCSPRequest(derBytes: der) else {
                return .respond(status: 400, headers: [], body: Array("not an OCSP request".utf8))
            }
            var entries: [OpenSSLOCSPResponder.Entry] = []
            for single in parsed.tbsRequest.requestList {
                let serial = hexSerial(single.certID.serialNumber)
                if let entry = try? await entry(for: serial) { entries.append(entry) }
            }
            do {
                try await responder.setEntries(entries)
                let forwarded = try await transport.send(HTTPRequest(
                    method: .post, url: responder.url,
                    headers: [HTTPHeader(name: "Content-Type", value: "application/ocsp-request")], body: der), limits: limits)
                return .respond(status: forwarded.status, headers: [("Content-Type", "application/ocsp-response")], body: forwarded.body)
            } catch {
                return .respond(status: 500, headers: [], body: Array("\(error)".utf8))
            }
        }

        /// The index entry for `serial` from Pebble's view and our local revocations.
        private func entry(for serial: String) async throws -> OpenSSLOCSPResponder.Entry? {
            let response = try await transport.send(HTTPRequest(method: .get, url: "\(managementURL)/cert-status-by-serial/\(serial)"), limits: limits)
            guard response.status == 200,
                  let status = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
                  let pem = status["Certificate"] as? String
            else { return nil }
            let notAfter = try state.withLock { $0.notAfter[serial] } ?? Certificate(pemEncoded: pem).notValidAfter
            let local = state.withLock { state -> (time: Date, reason: String?)? in
                state.notAfter[serial] = notAfter
                return state.localRevocations[serial]
            }
            var revocation = local
            if revocation == nil, status["Status"] as? String == "Revoked" {
                let time = (status["RevokedAt"] as? String).flatMap(Self.parseTime) ?? Date()
                revocation = (time, (status["Reason"] as? Int).flatMap(Self.reasonName))
            }
            return OpenSSLOCSPResponder.Entry(serialHex: serial, notAfter: notAfter, revocation: revocation)
        }

        private func hexSerial(_ bytes: ArraySlice<UInt8>) -> String {
            let trimmed = bytes.drop { $0 == 0 }
            return trimmed.isEmpty ? "00" : trimmed.map { String(format: "%02X", $0) }.joined()
        }

        private static func requestDER(_ request: LoopbackHTTPServer.Request) -> [UInt8]? {
            if request.method == "POST" { return request.body }
            let encoded = String(request.path.drop { $0 == "/" }).removingPercentEncoding ?? ""
            return Data(base64Encoded: encoded).map(Array.init)
        }

        private static func parseTime(_ text: String) -> Date? {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            if let date = formatter.date(from: text) { return date }
            formatter.formatOptions = [.withInternetDateTime]
            // Go prints nanoseconds; ISO8601DateFormatter reads at most milliseconds.
            let trimmed = text.replacingOccurrences(of: #"\.\d+"#, with: "", options: .regularExpression)
            return formatter.date(from: trimmed)
        }

        /// OpenSSL's index names for CRLReason codes (RFC 5280 §5.3.1).
        private static func reasonName(_ code: Int) -> String? {
            ["unspecified", "keyCompromise", "CACompromise", "affiliationChanged", "superseded",
             "cessationOfOperation", "certificateHold", nil, "removeFromCRL"][safe: code] ?? nil
        }
    }
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}

/// Runs async work to completion from a thread that is not part of the cooperative pool.
enum Blocking {
    static func run<Result: Sendable>(_ work: @escaping @Sendable () async -> Result) -> Result {
        let box = Locked<Result?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task {
            let result = await work()
            box.withLock { $0 = result }
            done.signal()
        }
        done.wait()
        return box.withLock { $0! }
    }
}
