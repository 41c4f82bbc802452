@testable import AutocertACME
import Synchronization

/// A polling clock that only pretends to sleep: each pause is recorded and moves `now` on
/// at once (after `realPause`, to let a real CA work meanwhile), and the jitter's random
/// number is fixed, so every pause the client chooses can be checked exactly.
final class RecordingPollingClock: ACMEPollingClock {
    private let state = Mutex<(now: Duration, pauses: [Duration])>((.zero, []))
    private let unit: Double
    private let realPause: Duration

    init(unit: Double = 0.5, realPause: Duration = .zero) {
        self.unit = unit
        self.realPause = realPause
    }

    /// Every pause asked for, in order.
    var pauses: [Duration] { state.withLock { $0.pauses } }

    var now: Duration { state.withLock { $0.now } }

    func sleep(for pause: Duration) async throws {
        state.withLock {
            $0.pauses.append(pause)
            $0.now += pause
        }
        if realPause > .zero { try await Task.sleep(for: realPause) } else { await Task.yield() }
    }

    func randomUnit() -> Double { unit }
}
