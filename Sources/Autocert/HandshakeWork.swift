import AutocertStapling
import Synchronization

/// Work a handshake starts (obtaining a new name's certificate), run as child tasks of the
/// Manager's ``Manager/run()`` while it runs, so that graceful shutdown cancels it and
/// nothing outlives the service.
///
/// Before ``Manager/run()`` starts or after it ends, the work runs as a task of its own,
/// so a Manager that is only used as a selector still answers.
final class HandshakeWork: Sendable {
    typealias Job = @Sendable () async -> Void

    private struct State {
        var running = false
        var pending: [Job] = []
    }

    private let state = Mutex(State())
    private let wake = WakeSignal()

    /// Whether jobs go to ``Manager/run()`` now.
    var isRunning: Bool { state.withLock { $0.running } }

    /// From now on, submitted jobs wait for ``run()`` to take them.
    func start() {
        state.withLock { $0.running = true }
    }

    /// The jobs submitted since the last call.
    func takePending() -> [Job] {
        state.withLock { state in
            defer { state.pending = [] }
            return state.pending
        }
    }

    /// Returns when a job may be pending (or at ``wakeUp()``, or on cancellation).
    func waitForJobs() async {
        await wake.wait()
    }

    func wakeUp() {
        wake.signal()
    }

    /// Stops taking jobs; returns those not taken yet. Later jobs run as tasks of their own.
    func stop() -> [Job] {
        state.withLock { state in
            state.running = false
            defer { state.pending = [] }
            return state.pending
        }
    }

    /// Runs `job` as a child of ``Manager/run()`` when it runs, else as a task of its own.
    func submit(_ job: @escaping Job) {
        let queued = state.withLock { state -> Bool in
            guard state.running else { return false }
            state.pending.append(job)
            return true
        }
        if queued { wake.signal() } else { Task { await job() } }
    }
}
