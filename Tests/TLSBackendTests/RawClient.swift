import NIOCore
import NIOPosix

/// A TCP client that sends raw bytes (garbage, plain HTTP, part of a ClientHello) and never
/// speaks TLS; the server ending the connection shows as the channel going inactive.
enum RawClient {
    static func connect(port: Int, group: any EventLoopGroup) async throws -> any Channel {
        try await ClientBootstrap(group: group)
            .channelOption(.allowRemoteHalfClosure, value: false)
            .connect(host: "127.0.0.1", port: port).get()
    }

    static func send(_ bytes: [UInt8], on channel: any Channel, thenHalfClose: Bool = false) async throws {
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes))
        if thenHalfClose { try await channel.close(mode: .output) }
    }

    /// A ClientHello (RFC 8446 §4.1.2) with server_name, ALPN, signature_algorithms,
    /// status_request and supported_versions, in records of at most `recordSize` bytes (one
    /// record unless it is larger); `extraPadding` bytes of an unknown extension make it as
    /// large as a test needs. With `keyShare`, supported_groups and an X25519 key_share
    /// (RFC 8446 §4.2.7, §4.2.8; the base point as the public key) make it one a TLS 1.3
    /// server answers with its whole flight and then waits for the client's Finished.
    static func clientHello(serverName: String, alpn: [String], extraPadding: Int = 0, recordSize: Int = 16_384,
                            keyShare: Bool = false) -> [UInt8] {
        func vector(_ bytes: [UInt8], lengthBytes: Int) -> [UInt8] {
            let length = bytes.count
            return (0..<lengthBytes).reversed().map { UInt8(truncatingIfNeeded: length >> ($0 * 8)) } + bytes
        }
        func ext(_ type: UInt16, _ body: [UInt8]) -> [UInt8] {
            [UInt8(type >> 8), UInt8(type & 0xff)] + vector(body, lengthBytes: 2)
        }
        var extensions: [UInt8] = []
        extensions += ext(0, vector([0] + vector(Array(serverName.utf8), lengthBytes: 2), lengthBytes: 2))
        extensions += ext(5, [1, 0, 0, 0, 0])
        extensions += ext(13, vector([0x04, 0x03, 0x08, 0x04], lengthBytes: 2))
        extensions += ext(16, vector(alpn.flatMap { vector(Array($0.utf8), lengthBytes: 1) }, lengthBytes: 2))
        extensions += ext(43, vector([0x03, 0x04, 0x03, 0x03], lengthBytes: 1))
        if keyShare {
            extensions += ext(10, vector([0x00, 0x1d], lengthBytes: 2))
            extensions += ext(51, vector([0x00, 0x1d] + vector([9] + [UInt8](repeating: 0, count: 31), lengthBytes: 2), lengthBytes: 2))
        }
        if extraPadding > 0 { extensions += ext(0xfafa, [UInt8](repeating: 0, count: extraPadding)) }
        var body: [UInt8] = [0x03, 0x03] + [UInt8](repeating: 7, count: 32)
        body += vector([], lengthBytes: 1) + vector([0x13, 0x01], lengthBytes: 2) + vector([0], lengthBytes: 1)
        body += vector(extensions, lengthBytes: 2)
        let handshake = [1] + vector(body, lengthBytes: 3)
        var records: [UInt8] = []
        var offset = 0
        repeat {
            let fragment = Array(handshake[offset..<min(offset + recordSize, handshake.count)])
            records += [22, 3, 1] + vector(fragment, lengthBytes: 2)
            offset += fragment.count
        } while offset < handshake.count
        return records
    }
}
