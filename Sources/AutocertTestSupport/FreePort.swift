import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Loopback ports for test servers.
public enum FreePort {
    /// A TCP port on 127.0.0.1 that was free a moment ago, never handed out before by this
    /// process, and outside the kernel's ephemeral range.
    ///
    /// Ports come from below `ip_local_port_range` (Linux: 32768–60999), so neither another
    /// test's `bind(0)` nor an outgoing connection's local port can take it between now and
    /// the moment the caller binds it; within this process no port is handed out twice.
    /// Callers that start a server on it must still poll for readiness and fail clearly.
    public static func allocate() throws -> Int {
        for _ in 0..<200 {
            let candidate = Int.random(in: 10_000..<ephemeralLow)
            let fresh = handedOut.withLock { $0.insert(candidate).inserted }
            if fresh, isBindable(candidate) { return candidate }
        }
        throw TestSupportError("no free port found below \(ephemeralLow) on 127.0.0.1")
    }

    private static let handedOut = Mutex<Set<Int>>([])

    /// The low end of the kernel's ephemeral port range (default 32768).
    private static let ephemeralLow: Int = {
        guard let text = try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8),
              let low = text.split(whereSeparator: \.isWhitespace).first.flatMap({ Int($0) }), low > 11_000
        else { return 32_768 }
        return low
    }()

    /// Whether 127.0.0.1:`port` can be bound right now.
    private static func isBindable(_ port: Int) -> Bool {
        withLoopbackAddress(port) { fd, address, length in bind(fd, address, length) == 0 }
    }

    /// Whether something accepts TCP connections on `host`:`port` (a loopback IPv4 address,
    /// 127.0.0.1 by default) right now.
    public static func isAccepting(_ port: Int, host: String = "127.0.0.1") -> Bool {
        withLoopbackAddress(port, host: host) { fd, address, length in connect(fd, address, length) == 0 }
    }

    /// Calls `body` with a new TCP socket and the address `host`:`port`; closes the socket after.
    private static func withLoopbackAddress(_ port: Int, host: String = "127.0.0.1", _ body: (Int32, UnsafePointer<sockaddr>, socklen_t) -> Bool) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr(host)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }
}

/// A failure of the test scaffolding itself (not of the code under test).
public struct TestSupportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
