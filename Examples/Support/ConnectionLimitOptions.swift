import ArgumentParser
import Autocert
import Logging
import NIOCore
#if canImport(Glibc)
import Glibc
private let openFiles = Int32(RLIMIT_NOFILE.rawValue)
#elseif canImport(Darwin)
import Darwin
private let openFiles = RLIMIT_NOFILE
#endif

/// The time and count limits both example servers put on connections: how long a handshake,
/// an idle connection and a request head may take, and how many connections may be open.
public struct ConnectionLimitOptions: ParsableArguments {
    public init() {}

    @Option(help: ArgumentHelp("Seconds a client has to finish its handshake.", valueName: "SECONDS"))
    public var handshakeTimeout: Double = 10

    @Option(help: ArgumentHelp("Seconds a connection may read and write nothing once its handshake is done.", valueName: "SECONDS"))
    public var idleTimeout: Double = 30

    @Option(help: ArgumentHelp("Seconds a request head may take from its first byte, or from the previous response on a keep-alive connection.", valueName: "SECONDS"))
    public var headerTimeout: Double = 10

    @Option(help: ArgumentHelp(
        "The most connections open at once; at the cap accepting pauses until one closes (default: 10000, or the open-file limit less 100 when lower).",
        valueName: "N"))
    public var maxConnections: Int?

    public func validate() throws {
        guard handshakeTimeout > 0, idleTimeout > 0, headerTimeout > 0, maxConnections ?? 1 > 0 else {
            throw ValidationError("--max-connections and the timeouts must be positive")
        }
    }

    public var handshake: TimeAmount { Self.amount(handshakeTimeout) }
    public var idle: TimeAmount { Self.amount(idleTimeout) }
    public var header: TimeAmount { Self.amount(headerTimeout) }

    /// `--max-connections`, or the default: 10,000, or the process's open-file limit less 100
    /// (kept for storage, logs and outgoing OCSP and ACME connections) when that is lower,
    /// since each connection holds a file descriptor and accepting past the limit fails with
    /// EMFILE.
    public var connectionCap: Int {
        if let maxConnections { return maxConnections }
        var limit = rlimit()
        guard getrlimit(openFiles, &limit) == 0 else { return 10_000 }  // RLIM_INFINITY clamps to Int.max
        return max(1, min(10_000, Int(clamping: limit.rlim_cur) - 100))
    }

    /// The plain-HTTP listener's limits: the same header and idle timeouts.
    public var plainHTTP: PlainHTTPLimits { PlainHTTPLimits(requestHeadTimeout: header, idleTimeout: idle) }

    private static func amount(_ seconds: Double) -> TimeAmount { .nanoseconds(Int64(seconds * 1e9)) }

    /// The least time between two "connection limit reached" lines.
    public static let warningInterval = TimeAmount.seconds(10)
}

/// The warning both servers log when the connection cap is reached: at most one line every
/// ``ConnectionLimitOptions/warningInterval``, saying how often the cap was reached between
/// two lines. A value kept and changed by the listener, on its event loop.
public struct ConnectionCapWarning: Sendable {
    private var lastLogged: NIODeadline?
    private var reachedNotLogged = 0

    public init() {}

    /// The cap of `maximum` connections was just reached.
    public mutating func reached(maximum: Int, logger: Logger) {
        let now = NIODeadline.now()
        if let lastLogged, now - lastLogged < ConnectionLimitOptions.warningInterval {
            reachedNotLogged += 1
            return
        }
        lastLogged = now
        let repeats = reachedNotLogged == 0 ? "" : " (reached \(reachedNotLogged) more times since the last line)"
        reachedNotLogged = 0
        logger.warning(
            "connection limit reached: \(maximum) connections open; not accepting until one closes\(repeats); raise --max-connections if this is load, not an attack",
            metadata: ["max-connections": "\(maximum)"])
    }
}
