@testable import Autocert
import AutocertACME
import AutocertTestSupport
import Foundation
import Testing

/// ACME Renewal Information (RFC 9773) and certificate profiles end to end: the Manager
/// against Pebble, which issues, behind a front that serves `renewalInfo` and `meta.profiles`
/// with windows the tests set, on a clock the tests move.
@Suite("Manager against Pebble: ARI (RFC 9773) and profiles", .serialized)
struct RenewalInfoEndToEndTests {
    let day: TimeInterval = 86_400
    let name = "ari.example.com"

    @Test("the profile is checked against meta.profiles before any order and sent in the order; an unknown one names the offered ones")
    func profiles() async throws {
        try await FrontedPebble.with(profile: "shortlived") { fixture in
            try await fixture.manager.checkConfiguration()
            _ = try await fixture.manager.certifiedKey(forName: name)
            #expect(fixture.front.orders.map(\.profile) == ["shortlived"])
        }
        try await FrontedPebble.with(profile: "forever") { fixture in
            let error = await #expect(throws: AutocertError.self) { try await fixture.manager.checkConfiguration() }
            #expect(error?.code == .invalidConfiguration)
            #expect(["forever", "classic", "shortlived", "tlsserver"].allSatisfy { error?.reason.contains($0) == true }, "\(String(describing: error))")
            await #expect(throws: AutocertError.self) { try await fixture.manager.certifiedKey(forName: name) }
            #expect(fixture.front.orders.isEmpty, "no order for an unknown profile")
        }
    }

    @Test("ARI is asked at issuance; renewal at a random instant in the window, kept while it stays; Retry-After sets the next check; explanationURL logged and reported")
    func followsTheWindow() async throws {
        try await FrontedPebble.with { fixture in
            let now = fixture.clock.now
            let window = (start: now.addingTimeInterval(10 * day), end: now.addingTimeInterval(12 * day))
            fixture.front.setWindow(start: window.start, end: window.end, explanationURL: "https://ca.example/incident", retryAfter: 7200)
            _ = try await fixture.manager.certifiedKey(forName: name)
            try await Poll.until("the renewal window to be followed") { fixture.windows.count == 1 }
            let chosen = try #require(fixture.windows.first)
            // randomUnit is pinned at 0.5: the middle of the window; any unit lands inside it.
            #expect(chosen.renewAt == window.start.addingTimeInterval(day))
            #expect(chosen.explanationURL == "https://ca.example/incident")
            #expect(fixture.plannedRenewal() == chosen.renewAt)
            #expect(fixture.logs.text.contains("https://ca.example/incident"), "the explanation is logged")
            #expect(fixture.front.renewalInfoRequests.map(\.identifier) == [try fixture.identifier()])
            #expect(fixture.renewalInfo()?.nextCheck == now.addingTimeInterval(7200), "Retry-After: 7200 s")

            // The next check, same window: the instant is kept, no new event, no order.
            fixture.clock.advance(by: 7200)
            try await Poll.until("the second check") { fixture.front.renewalInfoRequests.count == 2 && fixture.renewalInfo()?.nextCheck != nil }
            #expect(fixture.windows.count == 1 && fixture.plannedRenewal() == chosen.renewAt)
            #expect(fixture.front.orders.count == 1)
        }
    }

    @Test("a window moved into the past renews at once, naming the replaced certificate; 409 alreadyReplaced orders again without it")
    func pastWindowRenewsNow() async throws {
        for refused in [false, true] {
            try await FrontedPebble.with { fixture in
                let now = fixture.clock.now
                fixture.front.setWindow(start: now.addingTimeInterval(30 * day), end: now.addingTimeInterval(31 * day), retryAfter: 3600)
                let first = try await fixture.manager.certifiedKey(forName: name)
                try await Poll.until("the first window") { fixture.windows.count == 1 }
                let replaced = try fixture.identifier()

                // The CA revokes or asks for early renewal: this certificate's window moves into the past.
                if refused { fixture.front.refuseNextReplacingOrder() }
                fixture.front.setWindow(start: now.addingTimeInterval(-2 * day), end: now.addingTimeInterval(-day), retryAfter: 3600, for: replaced)
                fixture.clock.advance(by: 3600)
                try await Poll.until("the renewal", timeout: .seconds(60)) {
                    fixture.manager.cachedKey(for: name).map { $0.certificateChain != first.certificateChain } ?? false
                }
                let past = try #require(fixture.windows.first { $0.end < now })
                #expect(past.renewAt == fixture.clock.now, "renew now")
                let orders = fixture.front.orders
                #expect(orders.first?.replaces == nil, "a first order replaces nothing")
                #expect(orders.dropFirst().first?.replaces == replaced, "the renewal names the certificate it replaces")
                if refused {
                    #expect(orders.count == 3 && orders[2].replaces == nil, "after alreadyReplaced, ordered again without replaces: \(orders)")
                } else {
                    #expect(orders.count == 2, "\(orders)")
                }
            }
        }
    }

    @Test("a malformed window or an unreachable endpoint keeps the certificate's own schedule and backs off; a good answer then takes over")
    func fallsBackToTheOwnSchedule() async throws {
        try await FrontedPebble.with { fixture in
            fixture.front.setFailure(.malformedWindow)
            let key = try await fixture.manager.certifiedKey(forName: name)
            let leaf = CertificateRecord.identifiers(ofCertificate: key.certificateChain[0])
            #expect(leaf == [name])
            try await Poll.until("the first check to fail") { fixture.renewalInfo()?.failureStreak == 1 && fixture.renewalInfo()?.nextCheck != nil }
            let own = fixture.plannedRenewal()
            #expect(own != nil && fixture.windows.isEmpty, "no window followed")
            let firstRetry = try #require(fixture.renewalInfo()?.nextCheck)
            #expect(firstRetry.timeIntervalSince(fixture.clock.now) >= 60 && firstRetry.timeIntervalSince(fixture.clock.now) <= 120, "backoff from 1 minute")

            fixture.front.setFailure(.unreachable)
            fixture.clock.advance(to: firstRetry)
            try await Poll.until("the second check to fail") { fixture.renewalInfo()?.failureStreak == 2 && fixture.renewalInfo()?.nextCheck != nil }
            #expect(fixture.plannedRenewal() == own && fixture.windows.isEmpty)

            let now = fixture.clock.now
            fixture.front.setWindow(start: now.addingTimeInterval(5 * day), end: now.addingTimeInterval(7 * day))
            fixture.clock.advance(to: try #require(fixture.renewalInfo()?.nextCheck))
            try await Poll.until("a good answer to be followed") { fixture.windows.count == 1 }
            #expect(fixture.plannedRenewal() == now.addingTimeInterval(6 * day))
            #expect(fixture.renewalInfo()?.failureStreak == 0)
            #expect(fixture.front.orders.count == 1, "no renewal meanwhile")
        }
    }
}
