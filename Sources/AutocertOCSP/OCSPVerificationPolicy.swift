import Foundation

/// The knobs of response verification, each with its default.
public struct OCSPVerificationPolicy: Sendable, Hashable {
    /// The time to verify at; nil means the current time. Set it to verify a saved response
    /// as of a given moment.
    public var now: Date?
    /// How far the responder's clock may be ahead of or behind ours. Default 5 minutes.
    public var clockSkew: Duration
    /// The longest a response without nextUpdate is accepted after its thisUpdate. RFC 6960
    /// §4.2.2.1 says such a response means "newer information is always available"; a
    /// bound keeps an old one from being trusted forever. Default 7 days (as Chromium and
    /// BoringSSL); nil accepts any age.
    public var maximumAgeWithoutNextUpdate: Duration?
    /// The nonce that was sent; when set, the response must echo it (RFC 8954 §2.1).
    public var expectedNonce: [UInt8]?

    public init(
        now: Date? = nil,
        clockSkew: Duration = .seconds(300),
        maximumAgeWithoutNextUpdate: Duration? = .seconds(7 * 86_400),
        expectedNonce: [UInt8]? = nil
    ) {
        self.now = now
        self.clockSkew = clockSkew
        self.maximumAgeWithoutNextUpdate = maximumAgeWithoutNextUpdate
        self.expectedNonce = expectedNonce
    }
}

extension Duration {
    /// This duration in seconds, as a TimeInterval.
    var timeInterval: TimeInterval {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
