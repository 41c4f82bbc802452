import Logging
import Synchronization

/// A swift-log handler that keeps every line, for tests that check what was logged.
///
/// Each line reads `LEVEL message key=value …` (the handler's and the event's metadata,
/// sorted by key).
public final class LogCapture: Sendable {
    private let lines = Mutex<[(level: Logger.Level, line: String)]>([])

    public init() {}

    /// Every line, oldest first.
    public var messages: [String] { lines.withLock { $0.map(\.line) } }

    /// Every line, for failure messages.
    public var text: String { messages.joined(separator: "\n") }

    /// Whether a line at `level` contains `text`.
    public func contains(_ level: Logger.Level, _ text: String) -> Bool {
        lines.withLock { $0.contains { $0.level == level && $0.line.contains(text) } }
    }

    /// A handler that records here.
    public var handler: Handler { Handler(capture: self) }

    /// A logger that records here.
    public func logger(label: String = "test", level: Logger.Level = .info) -> Logger {
        var logger = Logger(label: label) { _ in Handler(capture: self) }
        logger.logLevel = level
        return logger
    }

    public struct Handler: LogHandler {
        let capture: LogCapture
        public var metadata: Logger.Metadata = [:]
        public var logLevel: Logger.Level = .trace

        public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        public func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }
            let fields = all.isEmpty ? "" : " " + all.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " ")
            capture.lines.withLock { $0.append((event.level, "\(event.level) \(event.message)\(fields)")) }
        }
    }
}
