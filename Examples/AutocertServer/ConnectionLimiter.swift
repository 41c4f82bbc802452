import NIOCore
import Synchronization

/// The cap on connections open at once (`--max-connections`): at the cap the listener stops
/// accepting until one closes, as nginx does when its worker_connections run out and Go's
/// `netutil.LimitListener` does.
///
/// Pausing rather than accepting and closing: a connection over the cap costs the server
/// nothing (it waits in the kernel's listen backlog, then SYNs are dropped, which clients
/// retry), and a client that arrives while the server is full is served as soon as a slot
/// frees (the handshake, idle and header timeouts free them) instead of being refused.
/// One cap for the HTTPS and the plain-HTTP listener together, as nginx's worker_connections:
/// each listener that accepts at the cap pauses, and all resume when a connection closes.
/// Counted on accept by ``AcceptLimitHandler`` on the listener's event loop, released by each
/// HTTPS connection's ``HTTPPipelineInstaller`` when its pipeline goes away and by each
/// plain-HTTP connection's close, on that connection's loop: hence atomics and a lock.
final class ConnectionLimiter: Sendable {
    /// The most connections open at once.
    let maximum: Int

    private let open = Atomic<Int>(0)
    /// The listeners paused at the cap.
    private let paused = Mutex<[any Channel]>([])

    init(maximum: Int) { self.maximum = maximum }

    /// Connections open now.
    var openConnections: Int { open.load(ordering: .sequentiallyConsistent) }

    /// Counts a connection just accepted; true when that reaches the cap.
    func accepted() -> Bool {
        open.add(1, ordering: .sequentiallyConsistent).newValue >= maximum
    }

    /// Stops `listener` accepting (on its event loop, `listener` being a listening channel).
    func pause(_ listener: any Channel) throws {
        try listener.syncOptions?.setOption(.autoRead, value: false)
        paused.withLock { listeners in
            if !listeners.contains(where: { $0 === listener }) { listeners.append(listener) }
        }
        // A connection may have closed since the count was taken, before it could see `paused`.
        if openConnections < maximum { resume() }
    }

    /// Counts a connection gone; accepting resumes if it was paused.
    func released() {
        if open.subtract(1, ordering: .sequentiallyConsistent).newValue < maximum { resume() }
    }

    private func resume() {
        let listeners = paused.withLock { listeners in
            defer { listeners.removeAll() }
            return listeners
        }
        for listener in listeners {
            listener.setOption(.autoRead, value: true).whenFailure { _ in }  // fails only once the listener is closed
        }
    }
}
