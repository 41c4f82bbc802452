import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// SIGTERM and SIGINT stop the server cleanly: the listener closes, open connections are
/// closed by the event loop group's shutdown, and the process exits 0.
struct ShutdownSignals {
    private let sources: [any DispatchSourceSignal]

    static func install(_ stop: @escaping @Sendable () -> Void) -> ShutdownSignals {
        let sources = [SIGTERM, SIGINT].map { number -> any DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler(handler: stop)
            source.resume()
            return source
        }
        return ShutdownSignals(sources: sources)
    }

    func cancel() { sources.forEach { $0.cancel() } }
}
