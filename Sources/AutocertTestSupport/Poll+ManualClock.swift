import Foundation

extension Poll {
    /// ``until(_:timeout:interval:_:)`` for code that runs on a ``ManualClock``: before each
    /// look the clock moves by `step` seconds, as real time would, so that the code's own
    /// short waits on that clock (a jittered look-again while another instance holds a
    /// cluster lock, a retry after backoff) come due. A clock left still would wait forever
    /// whenever the race went that way.
    package static func until(
        _ what: String,
        timeout: Duration = .seconds(15),
        interval: Duration = .milliseconds(25),
        advancing clock: ManualClock,
        by step: TimeInterval,
        _ condition: () async throws -> Bool
    ) async throws {
        try await until(what, timeout: timeout, interval: interval) {
            clock.advance(by: step)
            return try await condition()
        }
    }
}
