import AutocertHTTP
#if canImport(Glibc)
import Glibc
#endif

/// One TCP connection, every step of which (connect, write, read) ends by a deadline.
///
/// Blocking POSIX calls on a non-blocking socket, waited on with `poll(2)`: run it on a
/// thread of its own, never on a task of Swift's cooperative pool. Name resolution is the
/// system's `getaddrinfo`, bounded by the resolver's own timeouts, not by the deadline.
final class PlainHTTPConnection {
    private let fd: Int32
    private let deadline: ContinuousClock.Instant
    /// "host:port", for messages.
    private let peer: String

    /// Connects to `host`:`port`, trying each address the name resolves to in turn.
    init(host: String, port: Int, deadline: ContinuousClock.Instant) throws(HTTPTransportError) {
        peer = "\(host):\(port)"
        self.deadline = deadline
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var addresses: UnsafeMutablePointer<addrinfo>?
        let resolved = getaddrinfo(host, String(port), &hints, &addresses)
        guard resolved == 0, let first = addresses else {
            throw HTTPTransportError(.connectionFailed, "cannot resolve '\(host)': \(String(cString: gai_strerror(resolved))); check the name")
        }
        defer { freeaddrinfo(addresses) }
        var failure = HTTPTransportError(.connectionFailed, "\(peer) has no address to connect to")
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let address = candidate?.pointee {
            candidate = address.ai_next
            let fd = socket(address.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { continue }
            do {
                try Self.connect(fd, to: address, peer: peer, deadline: deadline)
                self.fd = fd
                return
            } catch {
                close(fd)
                failure = error
                if error.code == .timedOut { break }
            }
        }
        throw failure
    }

    deinit { close(fd) }

    /// Writes all of `bytes`.
    func write(_ bytes: [UInt8]) throws(HTTPTransportError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written >= 0 {
                offset += written
            } else if errno == EAGAIN || errno == EINTR {
                try Self.wait(fd, for: POLLOUT, until: deadline, peer: peer)
            } else {
                throw HTTPTransportError(.connectionFailed, "sending to \(peer) failed: \(String(cString: strerror(errno)))")
            }
        }
    }

    /// Reads what has arrived, at most `maximum` bytes; empty once the peer has closed.
    func read(maximum: Int = 16_384) throws(HTTPTransportError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: maximum)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count >= 0 { return Array(buffer[..<count]) }
            guard errno == EAGAIN || errno == EINTR else {
                throw HTTPTransportError(.connectionFailed, "reading from \(peer) failed: \(String(cString: strerror(errno)))")
            }
            try Self.wait(fd, for: POLLIN, until: deadline, peer: peer)
        }
    }

    /// A non-blocking connect (connect(2), EINPROGRESS), finished when `fd` turns writable.
    private static func connect(_ fd: Int32, to address: addrinfo, peer: String, deadline: ContinuousClock.Instant) throws(HTTPTransportError) {
        if Glibc.connect(fd, address.ai_addr, address.ai_addrlen) == 0 { return }
        guard errno == EINPROGRESS else {
            throw HTTPTransportError(.connectionFailed, "cannot connect to \(peer): \(String(cString: strerror(errno))); check that the responder is up")
        }
        try wait(fd, for: POLLOUT, until: deadline, peer: peer)
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
        guard error == 0 else {
            throw HTTPTransportError(.connectionFailed, "cannot connect to \(peer): \(String(cString: strerror(error))); check that the responder is up")
        }
    }

    /// Waits until `fd` is ready for `events`, or throws `timedOut` once `deadline` has passed.
    private static func wait(_ fd: Int32, for events: Int32, until deadline: ContinuousClock.Instant, peer: String) throws(HTTPTransportError) {
        while true {
            let left = ContinuousClock.now.duration(to: deadline)
            guard left > .zero else {
                throw HTTPTransportError(.timedOut, "\(peer) did not answer before the deadline; the responder is slow or unreachable, or the timeout too short")
            }
            let milliseconds = left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1
            var entry = pollfd(fd: fd, events: Int16(events), revents: 0)
            let ready = poll(&entry, 1, Int32(clamping: milliseconds))
            if ready > 0 { return }
            if ready < 0, errno != EINTR {
                throw HTTPTransportError(.transportFailure, "poll on the connection to \(peer) failed: \(String(cString: strerror(errno)))")
            }
        }
    }
}
