import Foundation

extension Duration {
    /// This duration in seconds, as a TimeInterval (the one conversion every module above
    /// storage uses).
    package var seconds: TimeInterval {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// A duration of `seconds`, rounded to the millisecond.
    package static func seconds(interval seconds: TimeInterval) -> Duration {
        .milliseconds(Int64((seconds * 1000).rounded()))
    }
}
