import Foundation

/// A real `openssl ocsp` responder on 127.0.0.1, answering from an index file that tests edit.
///
/// Signs as the CA itself or as a delegated responder certificate. ``revoke(serialHex:reason:)``
/// and ``setEntries(_:)`` rewrite the index and make the responder re-read it at once.
public final class OpenSSLOCSPResponder: Sendable {
    /// One line of the responder's index (OpenSSL's `ca` database format).
    public struct Entry: Sendable, Hashable {
        /// The serial, upper-case hex with no leading zero bytes (as `openssl x509 -serial`).
        public var serialHex: String
        public var notAfter: Date
        /// When revoked: the time and an optional CRLReason name ("keyCompromise", …).
        public var revocation: (time: Date, reason: String?)?

        public init(serialHex: String, notAfter: Date, revocation: (time: Date, reason: String?)? = nil) {
            self.serialHex = serialHex
            self.notAfter = notAfter
            self.revocation = revocation
        }

        public static func == (lhs: Entry, rhs: Entry) -> Bool {
            lhs.line == rhs.line
        }

        public func hash(into hasher: inout Hasher) { hasher.combine(line) }

        /// The index line: status, expiry, revocation, serial, file, subject.
        var line: String {
            let revoked = revocation.map { Self.time($0.time) + ($0.reason.map { ",\($0)" } ?? "") } ?? ""
            return "\(revocation == nil ? "V" : "R")\t\(Self.time(notAfter))\t\(revoked)\t\(serialHex)\tunknown\t/CN=\(serialHex)"
        }

        private static func time(_ date: Date) -> String {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = "yyMMddHHmmss'Z'"
            return formatter.string(from: date)
        }
    }

    public let port: Int
    public let indexPath: String
    private let process: TestProcess
    private let entries: Locked<[String: Entry]>

    /// The responder's URL.
    public var url: String { "http://127.0.0.1:\(port)" }

    /// Everything the responder printed.
    public var log: String { process.outputText }

    /// Starts a responder for `pki` that knows `certificates`, signing with `signer`
    /// (default: the CA itself).
    ///
    /// - Parameters:
    ///   - validityMinutes: nextUpdate = now + this (`-nmin`); nil sends no nextUpdate.
    ///   - includeSignerCertificate: whether the signer's certificate is embedded (`-resp_no_certs` when false).
    public convenience init(
        pki: TestPKI,
        certificates: [TestPKI.Issued],
        signer: TestPKI.Issued? = nil,
        port: Int? = nil,
        validityMinutes: Int? = 60,
        includeSignerCertificate: Bool = true
    ) async throws {
        let signer = signer ?? pki.ca
        try await self.init(
            directory: pki.directory, caCertificatePath: pki.ca.certificatePath,
            signerCertificatePath: signer.certificatePath, signerKeyPath: signer.keyPath,
            entries: certificates.map { Entry(serialHex: $0.serialHex, notAfter: $0.notAfter) },
            port: port, validityMinutes: validityMinutes, includeSignerCertificate: includeSignerCertificate)
    }

    /// Starts a responder for the CA at `caCertificatePath`, signing with the given
    /// certificate and key, that knows `entries`; its files go in `directory`.
    public init(
        directory: String,
        caCertificatePath: String,
        signerCertificatePath: String,
        signerKeyPath: String,
        entries: [Entry],
        port: Int? = nil,
        validityMinutes: Int? = 60,
        includeSignerCertificate: Bool = true
    ) async throws {
        self.entries = Locked(Dictionary(entries.map { ($0.serialHex, $0) }, uniquingKeysWith: { $1 }))
        var arguments = ["-rsigner", signerCertificatePath, "-rkey", signerKeyPath, "-CA", caCertificatePath, "-ignore_err"]
        if let validityMinutes { arguments += ["-nmin", "\(validityMinutes)"] }
        if !includeSignerCertificate { arguments.append("-resp_no_certs") }
        let shim = try await LoopbackBindShim.path()
        // A port chosen here may be taken by another process before openssl binds it; then
        // openssl exits at once, and another port is tried (a given port is tried once).
        var attempt = 0
        while true {
            attempt += 1
            let chosen = try port ?? FreePort.allocate()
            let indexPath = "\(directory)/index-\(chosen).txt"
            try "unique_subject = no\n".write(toFile: indexPath + ".attr", atomically: true, encoding: .utf8)
            try Self.writeIndex(indexPath, self.entries)
            let process = try TestProcess("openssl", ["ocsp", "-index", indexPath, "-port", "\(chosen)"] + arguments,
                                          environment: ["LD_PRELOAD": shim])
            do {
                // Readiness is read from its output, not probed: OpenSSL 3.0's responder serves
                // one connection at a time and stalls on a probe that connects and sends nothing.
                try await Poll.until("openssl ocsp to listen on 127.0.0.1:\(chosen)", timeout: .seconds(20)) {
                    guard process.isRunning else { throw TestSupportError("openssl ocsp exited: \(process.outputText)") }
                    return process.outputText.contains("waiting for OCSP client connections")
                }
                self.port = chosen
                self.indexPath = indexPath
                self.process = process
                return
            } catch {
                await process.stop()
                if port != nil || attempt >= 3 { throw error }
            }
        }
    }

    /// Marks `serialHex` revoked now with `reason` (a CRLReason name such as "keyCompromise").
    public func revoke(serialHex: String, reason: String? = nil) async throws {
        let changed = entries.withLock { entries -> Bool in
            guard var entry = entries[serialHex] else { return false }
            entry.revocation = (Date(), reason)
            entries[serialHex] = entry
            return true
        }
        guard changed else { throw TestSupportError("serial \(serialHex) is not in the responder's index") }
        try Self.writeIndex(indexPath, entries)
        try await kick()
    }

    /// Adds or replaces `entries` (by serial); does nothing when nothing changes.
    public func setEntries(_ updates: [Entry]) async throws {
        let changed = entries.withLock { entries -> Bool in
            var changed = false
            for update in updates where entries[update.serialHex] != update {
                entries[update.serialHex] = update
                changed = true
            }
            return changed
        }
        guard changed else { return }
        try Self.writeIndex(indexPath, entries)
        try await kick()
    }

    /// Stops the responder by its PID.
    public func stop() async { await process.stop() }

    /// `openssl ocsp` checks whether its index changed only between connections, before it
    /// waits for the next one; so after rewriting the index this sends one throwaway
    /// request and waits for its answer, after which every new request sees the change.
    private func kick() async throws {
        let port = self.port
        let answered = await Task.detached { () -> Bool in
            // A GET whose path is not an OCSP request; the responder answers or closes.
            guard let socket = try? LoopbackSocket(port: port) else { return false }
            defer { socket.close() }
            socket.send(Array("GET /MAA%3D HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".utf8))
            return socket.readUntilClosed(timeout: 10)
        }.value
        guard answered else { throw TestSupportError("the responder did not answer the index-reload request: \(log)") }
    }

    /// Writes the index as a whole new file (temporary file, then rename), so the responder,
    /// which may re-read it at any moment, never sees a half-written one.
    private static func writeIndex(_ indexPath: String, _ entries: Locked<[String: Entry]>) throws {
        let contents = entries.withLock { $0.values.map(\.line).sorted().map { $0 + "\n" }.joined() }
        let temporary = indexPath + ".new"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(contents.utf8)) else {
            throw TestSupportError("cannot write \(temporary)")
        }
        guard rename(temporary, indexPath) == 0 else { throw TestSupportError("cannot rename \(temporary): errno \(errno)") }
    }
}
