import AutocertACME
import Foundation
import Logging

extension Manager {
    /// Asks the CA for its renewal information about the certificate served for `name` (ARI,
    /// RFC 9773; in a cluster, once between the instances, see `Manager+SharedRenewalInfo`) and
    /// follows it: the renewal is planned at a uniformly random instant in the
    /// suggested window, kept while the window stays the same, and now when the window has
    /// moved into the past. A malformed window or an unreachable endpoint changes nothing
    /// (the Manager's own schedule stands) and the check is retried with backoff. A CA
    /// without renewal information is not asked again for this certificate.
    func checkRenewalInfo(_ name: String) async {
        guard let entry = served.withLock({ $0[name] }) else { return }
        let leaf = entry.key.certificateChain[0]
        let info: ACMERenewalInfo
        let next: Date
        let chosen: Date
        do {
            switch try await lookUpRenewalInfo(name, leaf: leaf) {
            case .none:
                schedule.withLock { $0.forgetRenewalInfo(name) }
                return
            case .busy(let recheck):  // another instance asks now; its answer is read then
                schedule.withLock { $0.planRenewalInfoCheck(name, at: recheck) }
                wake.signal()
                return
            case .answer(let answer, let nextCheck, let renewAt):
                guard answer.suggestedWindow.isWellFormed else {
                    throw AutocertError(.issuanceFailed, "the CA's renewal window ends (\(answer.suggestedWindow.end)) before it starts (\(answer.suggestedWindow.start)); RFC 9773 §4.2 makes it no answer")
                }
                (info, next, chosen) = (answer, nextCheck, renewAt)
            }
        } catch {
            renewalInfoFailed(name, error)
            return
        }
        guard served.withLock({ $0[name]?.key.identity == entry.key.identity }) else { return }  // replaced meanwhile
        let now = clock.now
        let (renewAt, changed) = schedule.withLock { schedule -> (Date, Bool) in
            let state = schedule.renewalInfo[name] ?? Schedule.RenewalInfo()
            let renewAt = chosen  // by RenewalInfoPolicy, here or by the instance that asked
            schedule.renewalInfo[name] = Schedule.RenewalInfo(window: info.suggestedWindow, renewAt: renewAt, failureStreak: 0,
                                                              nextCheck: nil, generation: state.generation)
            if let plan = schedule.plans[name], !plan.inFlight, !plan.replacing, plan.failureStreak == 0, plan.due != renewAt {
                schedule.set(name, Schedule.Plan(due: renewAt))
            }
            schedule.planRenewalInfoCheck(name, at: next)
            return (renewAt, state.window != info.suggestedWindow || state.renewAt != renewAt)
        }
        wake.signal()
        guard changed else { return }
        var metadata: Logger.Metadata = ["name": "\(name)", "window.start": "\(info.suggestedWindow.start)",
                                         "window.end": "\(info.suggestedWindow.end)", "renewAt": "\(renewAt)"]
        if let url = info.explanationURL { metadata["explanation"] = "\(url)" }
        if info.explanationURL != nil || renewAt <= now {
            logger.notice("the CA asks for this certificate to be renewed \(renewAt <= now ? "now" : "in its window")", metadata: metadata)
        } else {
            logger.info("renewal planned in the CA's renewal window", metadata: metadata)
        }
        emit(.renewalWindow(name: name, start: info.suggestedWindow.start, end: info.suggestedWindow.end, renewAt: renewAt,
                            explanationURL: info.explanationURL))
    }

    /// A failed ARI check: the schedule stands; the next check backs off (RFC 9773 §4.3).
    private func renewalInfoFailed(_ name: String, _ error: any Error) {
        let now = clock.now
        let (streak, next) = schedule.withLock { schedule -> (Int, Date) in
            let streak = (schedule.renewalInfo[name]?.failureStreak ?? 0) + 1
            let delay = configuration.renewal.retryDelay(failureStreak: streak, unit: configuration.randomUnit(),
                                                         retryAfter: (error as? ACMEError)?.retryAfter)
            let next = now.addingTimeInterval(min(delay.seconds, RenewalInfoPolicy.recheckBounds.upperBound))
            schedule.renewalInfo[name, default: Schedule.RenewalInfo()].failureStreak = streak
            schedule.planRenewalInfoCheck(name, at: next)
            return (streak, next)
        }
        wake.signal()
        let level: Logger.Level = streak == 1 || streak.nonzeroBitCount == 1 ? .warning : .debug
        logger.log(level: level, "could not use the CA's renewal information; the certificate's own schedule stands",
                   metadata: ["name": "\(name)", "error": "\(error)", "failureStreak": "\(streak)", "nextCheck": "\(next)"])
    }

    /// The ARI identifier of the certificate served for `name` when its CA has renewal
    /// information (a new order then names it in `replaces`, RFC 9773 §5).
    func replacedCertificateIdentifier(_ name: String, current: ServedCertificate) -> String? {
        guard schedule.withLock({ $0.renewalInfo[name]?.window }) != nil else { return nil }
        return try? ACMECertificateIdentifier.make(certificateDER: current.key.certificateChain[0])
    }
}
