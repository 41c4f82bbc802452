@testable import Autocert
import AutocertACME
import Foundation
import Testing

/// The ARI rules as pure functions (RFC 9773 §4.2, §4.3).
@Suite("Renewal information policy (RFC 9773)")
struct RenewalInfoPolicyTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let day: TimeInterval = 86_400

    @Test("the renewal instant is uniform in the window: the unit picks the point between start and end")
    func uniformInTheWindow() {
        let window = ACMERenewalInfo.Window(start: now.addingTimeInterval(10 * day), end: now.addingTimeInterval(12 * day))
        for (unit, offset) in [(0.0, 0.0), (0.25, 0.5), (0.5, 1.0), (0.999, 1.998)] {
            let chosen = RenewalInfoPolicy.renewalTime(window: window, previous: nil, now: now, unit: unit)
            #expect(abs(chosen.timeIntervalSince(window.start) - offset * day) < 1, "unit \(unit)")
            #expect(chosen >= window.start && chosen < window.end)
        }
    }

    @Test("the same window keeps the instant chosen before; a changed window chooses again")
    func keptWhileTheWindowIsTheSame() {
        let window = ACMERenewalInfo.Window(start: now.addingTimeInterval(10 * day), end: now.addingTimeInterval(12 * day))
        let first = RenewalInfoPolicy.renewalTime(window: window, previous: nil, now: now, unit: 0.1)
        let again = RenewalInfoPolicy.renewalTime(window: window, previous: (window, first), now: now.addingTimeInterval(day), unit: 0.9)
        #expect(again == first)
        let moved = ACMERenewalInfo.Window(start: now.addingTimeInterval(5 * day), end: now.addingTimeInterval(6 * day))
        let chosen = RenewalInfoPolicy.renewalTime(window: moved, previous: (window, first), now: now, unit: 0.5)
        #expect(chosen == now.addingTimeInterval(5.5 * day))
    }

    @Test("a window in the past, or an instant that has passed, means renew now")
    func pastMeansNow() {
        let past = ACMERenewalInfo.Window(start: now.addingTimeInterval(-2 * day), end: now.addingTimeInterval(-day))
        #expect(RenewalInfoPolicy.renewalTime(window: past, previous: nil, now: now, unit: 0.5) == now)
        let current = ACMERenewalInfo.Window(start: now.addingTimeInterval(-day), end: now.addingTimeInterval(day))
        #expect(RenewalInfoPolicy.renewalTime(window: current, previous: nil, now: now, unit: 0.25) == now)
        #expect(RenewalInfoPolicy.renewalTime(window: current, previous: nil, now: now, unit: 0.75) == now.addingTimeInterval(0.5 * day))
    }

    @Test("a window that ends before it starts is not well formed")
    func malformed() {
        #expect(!ACMERenewalInfo.Window(start: now, end: now).isWellFormed)
        #expect(!ACMERenewalInfo.Window(start: now, end: now.addingTimeInterval(-1)).isWellFormed)
        #expect(ACMERenewalInfo.Window(start: now, end: now.addingTimeInterval(1)).isWellFormed)
    }

    @Test("Retry-After is honoured between a minute and a day; without one the next check is in 6 hours")
    func nextCheck() {
        #expect(RenewalInfoPolicy.nextCheck(after: now, retryAfter: .seconds(7200)) == now.addingTimeInterval(7200))
        #expect(RenewalInfoPolicy.nextCheck(after: now, retryAfter: .seconds(5)) == now.addingTimeInterval(60))
        #expect(RenewalInfoPolicy.nextCheck(after: now, retryAfter: .seconds(10 * 86_400)) == now.addingTimeInterval(86_400))
        #expect(RenewalInfoPolicy.nextCheck(after: now, retryAfter: nil) == now.addingTimeInterval(6 * 3600))
    }
}
