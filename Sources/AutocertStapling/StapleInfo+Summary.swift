import Foundation

extension StapleInfo {
    /// The staple's condition in words, with the last failure, the next attempt and the
    /// responder: what a health endpoint shows for a certificate that is not fresh.
    public var summary: String {
        var words: String
        switch condition {
        case .pending: words = "no staple yet (the first OCSP fetch has not succeeded)"
        case .stapled:
            let until = servedUntil.map { " until \($0)" } ?? ""
            words = failureStreak == 0 ? "stapled\(until)" : "the staple is served\(until), but \(failureStreak) refresh(es) in a row failed"
        case .revoked: words = "the OCSP responder says the certificate is revoked: replace it"
        case .unknownToResponder: words = "the OCSP responder does not know the certificate (status unknown)"
        case .failing: words = "no valid staple: OCSP fetches fail (\(failureStreak) in a row) and the last staple has ended"
        case .certificateExpired: words = "the certificate has expired: replace it"
        case .noResponderURL: words = "the certificate names no OCSP responder: nothing to staple"
        }
        if let lastFailure { words += "; last failure: \(lastFailure.reason)" }
        if let nextAttempt { words += "; next attempt at \(nextAttempt)" }
        if let responderURL { words += "; responder \(responderURL)" }
        return words
    }
}
