import Foundation

/// A real `openssl ocsp` responder on 127.0.0.1, answering from an index file that tests edit.
///
/// Signs as the CA itself or as a delegated responder certificate; `revoke` marks a serial
/// revoked in the index, which `openssl ocsp` re-reads when the file changes.
public final class OpenSSLOCSPResponder: Sendable {
    public let port: Int
    public let indexPath: String
    private let process: TestProcess

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
    public init(
        pki: TestPKI,
        certificates: [TestPKI.Issued],
        signer: TestPKI.Issued? = nil,
        port: Int? = nil,
        validityMinutes: Int? = 60,
        includeSignerCertificate: Bool = true
    ) async throws {
        let port = try port ?? FreePort.allocate()
        self.port = port
        self.indexPath = "\(pki.directory)/index-\(port).txt"
        try "unique_subject = no\n".write(toFile: indexPath + ".attr", atomically: true, encoding: .utf8)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "yyMMddHHmmss'Z'"
        let lines = certificates.map { "V\t\(formatter.string(from: $0.notAfter))\t\t\($0.serialHex)\tunknown\t/CN=\($0.serialHex)\n" }
        try Self.replaceFile(indexPath, with: lines.joined())
        let signer = signer ?? pki.ca
        var arguments = ["ocsp", "-index", indexPath, "-port", "\(port)", "-rsigner", signer.certificatePath, "-rkey", signer.keyPath,
                         "-CA", pki.ca.certificatePath, "-ignore_err"]
        if let validityMinutes { arguments += ["-nmin", "\(validityMinutes)"] }
        if !includeSignerCertificate { arguments.append("-resp_no_certs") }
        let shim = try await LoopbackBindShim.path()
        self.process = try TestProcess("openssl", arguments, environment: ["LD_PRELOAD": shim])
        let process = self.process
        // Readiness is read from its output, not probed: OpenSSL 3.0's responder serves one
        // connection at a time and stalls on a probe that connects and sends nothing.
        try await Poll.until("openssl ocsp to listen on 127.0.0.1:\(port)", timeout: .seconds(20)) {
            guard process.isRunning else { throw TestSupportError("openssl ocsp exited: \(process.outputText)") }
            return process.outputText.contains("waiting for OCSP client connections")
        }
    }

    /// Marks `serialHex` revoked now with `reason` (a CRLReason name such as "keyCompromise").
    ///
    /// `openssl ocsp` checks whether its index changed only between connections, before it
    /// waits for the next one; so after rewriting the index this sends one throwaway
    /// request and waits for its answer, after which every new request sees the change.
    public func revoke(serialHex: String, reason: String? = nil) async throws {
        try rewriteIndex(revoking: serialHex, reason: reason)
        try await kick()
    }

    private func kick() async throws {
        let port = self.port
        let task = Task.detached { () -> Bool in
            // A raw GET whose body is not an OCSP request; the responder answers or closes.
            guard let socket = try? LoopbackSocket(port: port) else { return false }
            defer { socket.close() }
            socket.send(Array("GET /MAA%3D HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".utf8))
            return socket.readUntilClosed(timeout: 10)
        }
        guard await task.value else { throw TestSupportError("the responder did not answer the index-reload request: \(log)") }
    }

    private func rewriteIndex(revoking serialHex: String, reason: String?) throws {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "yyMMddHHmmss'Z'"
        let revokedAt = formatter.string(from: Date()) + (reason.map { ",\($0)" } ?? "")
        let index = try String(contentsOfFile: indexPath, encoding: .utf8)
        let updated = index.split(separator: "\n").map { line -> String in
            var fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count >= 6, fields[3] == serialHex else { return String(line) }
            fields[0] = "R"
            fields[2] = revokedAt
            return fields.joined(separator: "\t")
        }.joined(separator: "\n") + "\n"
        try Self.replaceFile(indexPath, with: updated)
    }

    /// Stops the responder by its PID.
    public func stop() async { await process.stop() }

    /// Writes `path` as a whole new file (temporary file, then rename), so the responder,
    /// which may re-read it at any moment, never sees a half-written index.
    private static func replaceFile(_ path: String, with contents: String) throws {
        let temporary = path + ".new"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(contents.utf8)) else {
            throw TestSupportError("cannot write \(temporary)")
        }
        guard rename(temporary, path) == 0 else { throw TestSupportError("cannot rename \(temporary) to \(path): errno \(errno)") }
    }
}
