import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The time source of a ``StaplingManager``: wall-clock time, and a way to wait for it.
///
/// OCSP validity (thisUpdate, nextUpdate) is wall-clock time, so the schedule is too.
/// Inject a manual clock in tests to run the whole schedule without sleeping.
public protocol StaplingClock: Sendable {
    /// The current wall-clock time.
    var now: Date { get }
    /// The current time rounded up: never earlier than ``now``, at most one clock tick later,
    /// and cheap enough to read on every handshake. A staple is served only while this is
    /// before its end, so never past it. Default: ``now``.
    var handshakeNow: Date { get }
    /// Suspends until `deadline` (or returns at once when it has passed).
    ///
    /// - Throws: `CancellationError` when the waiting task is cancelled.
    func sleep(until deadline: Date) async throws
}

extension StaplingClock {
    public var handshakeNow: Date { now }
}

/// The system's wall clock.
///
/// Sleeps in steps of at most a minute and re-reads the clock after each, so a wall-clock
/// jump (NTP step, suspend/resume) delays a refresh by at most a minute.
public struct SystemStaplingClock: StaplingClock {
    #if os(Linux)
    /// The tick of CLOCK_REALTIME_COARSE (typically 1–4 ms), in seconds.
    private let coarseResolution: Double
    #endif

    public init() {
        #if os(Linux)
        var resolution = timespec()
        clock_getres(CLOCK_REALTIME_COARSE, &resolution)
        coarseResolution = Double(resolution.tv_sec) + Double(resolution.tv_nsec) / 1e9
        #endif
    }

    public var now: Date { Date() }

    /// On Linux, CLOCK_REALTIME_COARSE (a vDSO read of the last tick, a few ns) plus one
    /// tick, which is never earlier than the precise time; elsewhere ``now``.
    public var handshakeNow: Date {
        #if os(Linux)
        var time = timespec()
        clock_gettime(CLOCK_REALTIME_COARSE, &time)
        return Date(timeIntervalSince1970: Double(time.tv_sec) + Double(time.tv_nsec) / 1e9 + coarseResolution)
        #else
        return Date()
        #endif
    }

    public func sleep(until deadline: Date) async throws {
        while true {
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 { return }
            try await Task.sleep(for: .milliseconds(Int64((min(remaining, 60) * 1000).rounded(.up))))
        }
    }
}
