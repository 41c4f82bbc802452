import ExampleSupport
import HummingbirdCore
import Logging

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
    private var warning = ConnectionCapWarning()

    init(maximum: Int, logger: Logger) {
        self.maximum = maximum
        self.logger = logger
    }

    mutating func connectionOpened() {
        open += 1
        if open >= maximum { warning.reached(maximum: maximum, logger: logger) }
    }

    mutating func connectionClosed() { open -= 1 }

    func isAcceptingNewConnections() -> Bool { open < maximum }
}
