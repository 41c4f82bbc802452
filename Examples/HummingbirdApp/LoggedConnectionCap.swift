import ExampleSupport
import HummingbirdCore
import Logging
import NIOCore

/// `--max-connections` for Hummingbird: its `AvailableConnectionsChannelHandler` stops
/// accepting while this says no (new connections wait in the listen backlog) and accepts
/// again when one closes; this adds the warning autocert-server logs at the cap, at most one
/// line every ``ExampleSupport/ConnectionLimitOptions/warningInterval``.
///
/// Called on the listener's event loop only (Hummingbird keeps it in that loop's handler).
struct LoggedConnectionCap: AvailableConnectionsDelegate {
    let maximum: Int
    let logger: Logger
    private var open = 0
    private var lastLogged: NIODeadline?
    private var reachedNotLogged = 0

    init(maximum: Int, logger: Logger) {
        self.maximum = maximum
        self.logger = logger
    }

    mutating func connectionOpened() {
        open += 1
        guard open >= maximum else { return }
        let now = NIODeadline.now()
        if let lastLogged, now - lastLogged < ConnectionLimitOptions.warningInterval {
            reachedNotLogged += 1
            return
        }
        lastLogged = now
        logger.warning("\(ConnectionLimitOptions.capReachedWarning(maximum: maximum, notLogged: reachedNotLogged))",
                       metadata: ["max-connections": "\(maximum)"])
        reachedNotLogged = 0
    }

    mutating func connectionClosed() { open -= 1 }

    func isAcceptingNewConnections() -> Bool { open < maximum }
}
