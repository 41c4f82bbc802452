import AutocertStapling
import Foundation
import Testing

/// The schedule's pure rules: refresh point and jitter band, margins, max-age, floor, backoff.
@Suite("StaplePolicy: refresh point, jitter, margins, max-age, floor and backoff")
struct StaplePolicyTests {
    let policy = StaplePolicy()
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    let day: TimeInterval = 86_400
    let farExpiry = Date(timeIntervalSince1970: 1_900_000_000)

    @Test("the refresh is at the midpoint of the window, jittered between 40 % and 60 % of it")
    func refreshIsAtTheMidpointOfTheWindowWithinTheJitterBand() {
        let until = t0.addingTimeInterval(7 * day)
        let middle = policy.refreshTime(thisUpdate: t0, servedUntil: until, fetchedAt: t0, maxAge: nil, unit: 0.5)
        #expect(middle == t0.addingTimeInterval(3.5 * day))
        let earliest = policy.refreshTime(thisUpdate: t0, servedUntil: until, fetchedAt: t0, maxAge: nil, unit: 0)
        let latest = policy.refreshTime(thisUpdate: t0, servedUntil: until, fetchedAt: t0, maxAge: nil, unit: 1)
        #expect(abs(earliest.timeIntervalSince(t0) - 0.4 * 7 * day) < 0.001)
        #expect(abs(latest.timeIntervalSince(t0) - 0.6 * 7 * day) < 0.001)
        for _ in 0..<1000 {
            let time = policy.refreshTime(thisUpdate: t0, servedUntil: until, fetchedAt: t0, maxAge: nil, unit: Double.random(in: 0..<1))
            #expect(time >= earliest && time <= latest)
        }
    }

    @Test("the refresh is never later than the safety margin before expiry, a margin cut to a quarter of a short window")
    func refreshNeverLaterThanTheSafetyMarginBeforeExpiry() {
        var policy = self.policy
        policy.refreshFraction = 1.0
        policy.refreshJitter = 0
        let until = t0.addingTimeInterval(7 * day)
        let time = policy.refreshTime(thisUpdate: t0, servedUntil: until, fetchedAt: t0, maxAge: nil, unit: 0.5)
        #expect(time == until.addingTimeInterval(-3600))
        // A short window: the margin shrinks to a quarter of it, so the midpoint still applies.
        let short = t0.addingTimeInterval(3600)
        #expect(policy.refreshTime(thisUpdate: t0, servedUntil: short, fetchedAt: t0, maxAge: nil, unit: 0.5) == t0.addingTimeInterval(2700))
    }

    @Test("max-age delays the refresh but not past the margin; a short max-age, or max-age not honoured, leaves the midpoint")
    func maxAgeDelaysTheRefreshButNotPastTheMargin() {
        let until = t0.addingTimeInterval(7 * day)
        let withMaxAge = policy.refreshTime(thisUpdate: t0, servedUntil: until, fetchedAt: t0, maxAge: .seconds(5 * 86_400), unit: 0.5)
        #expect(withMaxAge == t0.addingTimeInterval(5 * day))
        let huge = policy.refreshTime(thisUpdate: t0, servedUntil: until, fetchedAt: t0, maxAge: .seconds(30 * 86_400), unit: 0.5)
        #expect(huge == until.addingTimeInterval(-3600))
        let small = policy.refreshTime(thisUpdate: t0, servedUntil: until, fetchedAt: t0, maxAge: .seconds(60), unit: 0.5)
        #expect(small == t0.addingTimeInterval(3.5 * day))
        var ignoring = policy
        ignoring.honoursMaxAge = false
        #expect(ignoring.refreshTime(thisUpdate: t0, servedUntil: until, fetchedAt: t0, maxAge: .seconds(5 * 86_400), unit: 0.5) == t0.addingTimeInterval(3.5 * day))
    }

    @Test("the 60-second floor wins over every other rule: a passed midpoint, a 60-second window")
    func theFloorWinsOverEveryOtherRule() {
        // A stale-ish response (thisUpdate long ago): the midpoint has passed.
        let old = t0.addingTimeInterval(-6 * day)
        let time = policy.refreshTime(thisUpdate: old, servedUntil: t0.addingTimeInterval(day), fetchedAt: t0, maxAge: nil, unit: 0.5)
        #expect(time == t0.addingTimeInterval(60))
        // A 60 s window (openssl ocsp -nmin 1): never more often than the floor.
        let tiny = policy.refreshTime(thisUpdate: t0, servedUntil: t0.addingTimeInterval(60), fetchedAt: t0, maxAge: nil, unit: 0.5)
        #expect(tiny == t0.addingTimeInterval(60))
    }

    @Test("a staple is served until nextUpdate, or for a day without one, and refreshed at half of that")
    func responsesWithAndWithoutNextUpdate() {
        let next = t0.addingTimeInterval(4 * day)
        #expect(policy.servedUntil(thisUpdate: t0, nextUpdate: next, certificateNotAfter: farExpiry) == next)
        #expect(policy.servedUntil(thisUpdate: t0, nextUpdate: nil, certificateNotAfter: farExpiry) == t0.addingTimeInterval(day))
        let until = policy.servedUntil(thisUpdate: t0, nextUpdate: nil, certificateNotAfter: farExpiry)
        #expect(policy.refreshTime(thisUpdate: t0, servedUntil: until, fetchedAt: t0, maxAge: nil, unit: 0.5) == t0.addingTimeInterval(day / 2))
    }

    @Test("a short-lived certificate clamps the staple to its expiry, and the refresh follows the clamped window")
    func shortLivedCertificatesClampTheStapleToTheirExpiry() {
        // A 6-hour certificate and a 7-day response: the staple ends with the certificate,
        // and the refresh follows the clamped window.
        let notAfter = t0.addingTimeInterval(6 * 3600)
        let until = policy.servedUntil(thisUpdate: t0, nextUpdate: t0.addingTimeInterval(7 * day), certificateNotAfter: notAfter)
        #expect(until == notAfter)
        #expect(policy.refreshTime(thisUpdate: t0, servedUntil: until, fetchedAt: t0, maxAge: nil, unit: 0.5) == t0.addingTimeInterval(3 * 3600))
    }

    @Test("with the responder's clock ahead, the window starts at its thisUpdate")
    func clockSkewThisUpdateAheadOfOurClock() {
        // The responder's clock is 4 minutes ahead: the window starts at its thisUpdate.
        let ahead = t0.addingTimeInterval(240)
        let until = ahead.addingTimeInterval(7 * day)
        #expect(policy.refreshTime(thisUpdate: ahead, servedUntil: until, fetchedAt: t0, maxAge: nil, unit: 0.5) == ahead.addingTimeInterval(3.5 * day))
    }

    @Test("retry delays are jittered between 30 seconds and a doubling top, capped at an hour")
    func backoffGrowsExponentiallyUpToTheCeiling() {
        for streak in 1...12 {
            let low = policy.retryDelay(failureStreak: streak, unit: 0, retryAfter: nil)
            let high = policy.retryDelay(failureStreak: streak, unit: 1, retryAfter: nil)
            #expect(low == .seconds(30))
            #expect(high == .seconds(min(3600, 30 * (1 << streak))))
            for _ in 0..<100 {
                let delay = policy.retryDelay(failureStreak: streak, unit: Double.random(in: 0..<1), retryAfter: nil)
                #expect(delay >= low && delay <= high)
            }
        }
        #expect(policy.retryDelay(failureStreak: 1_000, unit: 1, retryAfter: nil) == .seconds(3600))
    }

    @Test("a Retry-After lengthens the wait but never shortens it, up to 6 hours")
    func retryAfterLengthensButNeverShortensTheWait() {
        #expect(policy.retryDelay(failureStreak: 1, unit: 0, retryAfter: .seconds(600)) == .seconds(600))
        #expect(policy.retryDelay(failureStreak: 1, unit: 1, retryAfter: .seconds(1)) == .seconds(60))
        #expect(policy.retryDelay(failureStreak: 1, unit: 0, retryAfter: .seconds(86_400)) == .seconds(6 * 3600))
    }
}
