import Autocert
import Foundation
import Testing

@Suite("Renewal policy")
struct RenewalPolicyTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)
    let day: TimeInterval = 86_400

    // Short-lived certificates (under 10 days) renew at about half their life since ARI and
    // 6-day certificates arrived: lifetime / 2 × (1 − jitter fraction), so even the largest
    // jitter keeps the renewal in the second half (6 d → 2.7 d before notAfter, was 2 d).
    @Test("renew-before is a third of the lifetime, at most 30 days; for short-lived certificates about half of it",
          arguments: [(90.0, 30.0), (6.0, 2.7), (365.0, 30.0), (30.0, 10.0), (1.0, 0.45), (10.0, 10.0 / 3)])
    func window(_ lifetimeDays: Double, _ expectedDays: Double) {
        let policy = RenewalPolicy()
        let window = policy.renewalWindow(notBefore: start, notAfter: start.addingTimeInterval(lifetimeDays * day))
        #expect(abs(window - expectedDays * day) < 1)
    }

    @Test("jitter moves renewal earlier by at most 10 % of the window")
    func jitter() {
        let policy = RenewalPolicy()
        let notAfter = start.addingTimeInterval(90 * day)
        #expect(policy.renewalTime(notBefore: start, notAfter: notAfter, unit: 0) == notAfter.addingTimeInterval(-30 * day))
        let latest = policy.renewalTime(notBefore: start, notAfter: notAfter, unit: 0.999_999)
        #expect(abs(latest.timeIntervalSince(notAfter.addingTimeInterval(-33 * day))) < 10)
        #expect(policy.renewalTime(notBefore: start, notAfter: notAfter, unit: 0.5) == notAfter.addingTimeInterval(-31.5 * day))
    }

    @Test("an explicit renew-before wins, but never exceeds the lifetime")
    func explicitRenewBefore() {
        let policy = RenewalPolicy(renewBefore: .seconds(45 * 86_400))
        #expect(policy.renewalWindow(notBefore: start, notAfter: start.addingTimeInterval(90 * day)) == 45 * day)
        #expect(policy.renewalWindow(notBefore: start, notAfter: start.addingTimeInterval(10 * day)) == 10 * day)
    }

    @Test("retries back off exponentially with full jitter between 1 minute and 6 hours")
    func backoff() {
        let policy = RenewalPolicy()
        #expect(policy.retryDelay(failureStreak: 1, unit: 0) == .seconds(60))
        #expect(policy.retryDelay(failureStreak: 1, unit: 1) == .seconds(120))
        #expect(policy.retryDelay(failureStreak: 3, unit: 1) == .seconds(480))
        #expect(policy.retryDelay(failureStreak: 30, unit: 1) == .seconds(6 * 3600))
        #expect(policy.retryDelay(failureStreak: 200, unit: 0.5) <= .seconds(6 * 3600))
    }

    @Test("a CA's Retry-After lengthens the wait up to a day, never shortens it")
    func retryAfter() {
        let policy = RenewalPolicy()
        #expect(policy.retryDelay(failureStreak: 1, unit: 0, retryAfter: .seconds(3600)) == .seconds(3600))
        #expect(policy.retryDelay(failureStreak: 1, unit: 0, retryAfter: .seconds(10)) == .seconds(60))
        #expect(policy.retryDelay(failureStreak: 1, unit: 0, retryAfter: .seconds(7 * 86_400)) == .seconds(86_400))
    }
}
