import NIOCore

extension ClientHelloReader {
    /// Parses a ClientHello body (RFC 8446 §4.1.2) for the extensions selection needs.
    static func parse(_ body: UnsafeRawBufferPointer) -> Outcome {
        var cursor = Cursor(body)
        func invalid(_ what: String) -> Outcome {
            .invalid(TLSBackendError(.invalidClientHello, "malformed ClientHello: \(what)"))
        }
        guard let legacyVersion = cursor.uint16(), cursor.skip(32) else { return invalid("no version or random") }
        guard cursor.vector(lengthBytes: 1) != nil else { return invalid("bad legacy_session_id") }
        guard let suites = cursor.vector(lengthBytes: 2), !suites.isAtEnd else { return invalid("no cipher suites") }
        guard cursor.vector(lengthBytes: 1) != nil else { return invalid("bad compression methods") }
        var hello = ClientHello(supportedVersions: [legacyVersion])
        if cursor.isAtEnd { return .complete(hello) }
        guard var extensions = cursor.vector(lengthBytes: 2), cursor.isAtEnd else {
            return invalid("bad extensions block")
        }
        while !extensions.isAtEnd {
            guard let type = extensions.uint16(), let data = extensions.vector(lengthBytes: 2) else {
                return invalid("truncated extension")
            }
            var ext = data
            switch type {
            case 0: // server_name, RFC 6066 §3
                guard var list = ext.vector(lengthBytes: 2) else { return invalid("bad server_name") }
                while !list.isAtEnd {
                    guard let nameType = list.uint8(), let name = list.vector(lengthBytes: 2)?.bytes else { return invalid("bad server_name entry") }
                    if nameType == 0, hello.serverName == nil {
                        guard name.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else { return invalid("server_name is not an ASCII host name") }
                        guard let host = ClientHello.normalisedServerName(String(decoding: name, as: UTF8.self)) else {
                            return invalid("server_name is empty or ends in more than one dot")
                        }
                        hello.serverName = host
                    }
                }
            case 5: // status_request, RFC 6066 §8
                hello.requestsOCSPStaple = ext.uint8() == 1
            case 13: // signature_algorithms, RFC 8446 §4.2.3
                guard var list = ext.vector(lengthBytes: 2) else { return invalid("bad signature_algorithms") }
                hello.signatureAlgorithms.reserveCapacity(list.count / 2)
                while let scheme = list.uint16() { hello.signatureAlgorithms.append(scheme) }
            case 16: // application_layer_protocol_negotiation, RFC 7301 §3.1
                guard var list = ext.vector(lengthBytes: 2) else { return invalid("bad ALPN") }
                while !list.isAtEnd {
                    guard let name = list.vector(lengthBytes: 1)?.bytes, !name.isEmpty else { return invalid("bad ALPN protocol name") }
                    hello.applicationProtocols.append(String(decoding: name, as: UTF8.self))
                }
            case 43: // supported_versions, RFC 8446 §4.2.1
                guard var list = ext.vector(lengthBytes: 1) else { return invalid("bad supported_versions") }
                var versions: [UInt16] = []
                while let version = list.uint16() { versions.append(version) }
                if !versions.isEmpty { hello.supportedVersions = versions }
            default:
                break
            }
        }
        return .complete(hello)
    }

    /// A bounds-checked reader over bytes in memory (no copies, no reference counting).
    struct Cursor {
        private let base: UnsafeRawBufferPointer
        private var index: Int
        private let end: Int

        init(_ bytes: UnsafeRawBufferPointer) { self.init(base: bytes, index: 0, end: bytes.count) }
        private init(base: UnsafeRawBufferPointer, index: Int, end: Int) {
            self.base = base
            self.index = index
            self.end = end
        }

        var isAtEnd: Bool { index >= end }
        var count: Int { end - index }
        /// The bytes not read yet.
        var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: base[index..<end]) }

        mutating func uint8() -> UInt8? {
            guard index < end else { return nil }
            defer { index += 1 }
            return base[index]
        }

        mutating func uint16() -> UInt16? {
            guard end - index >= 2 else { return nil }
            defer { index += 2 }
            return UInt16(base[index]) << 8 | UInt16(base[index + 1])
        }

        mutating func skip(_ count: Int) -> Bool {
            guard end - index >= count else { return false }
            index += count
            return true
        }

        /// A length-prefixed vector (RFC 8446 §3.4).
        mutating func vector(lengthBytes: Int) -> Cursor? {
            guard end - index >= lengthBytes else { return nil }
            var length = 0
            for offset in 0..<lengthBytes { length = length << 8 | Int(base[index + offset]) }
            let start = index + lengthBytes
            guard end - start >= length else { return nil }
            index = start + length
            return Cursor(base: base, index: start, end: start + length)
        }
    }
}
