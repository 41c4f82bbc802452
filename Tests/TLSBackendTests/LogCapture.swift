import Logging
import Synchronization

/// A swift-log handler that keeps every message, for tests that check the one log line.
final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])

    var messages: [String] { lines.withLock { $0 } }

    func logger(level: Logger.Level = .info) -> Logger {
        var logger = Logger(label: "tls-test") { _ in Handler(capture: self) }
        logger.logLevel = level
        return logger
    }

    func append(_ line: String) { lines.withLock { $0.append(line) } }

    struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let fields = event.metadata.map { " " + $0.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " ") } ?? ""
            capture.append("\(event.level) \(event.message)\(fields)")
        }
    }
}
