import Foundation

extension StaplingManager {
    /// The manager's knobs, each with its default.
    public struct Configuration: Sendable {
        /// Refresh, expiry and retry rules (see ``StaplePolicy``).
        public var policy: StaplePolicy
        /// Fetches running at once across all certificates. Default 16: a warm start of
        /// 100,000 certificates or an outage never turns into a storm on the responder.
        public var maximumConcurrentFetches: Int
        /// Each fetch must end within this time (connect, redirects, body), else it counts as
        /// a failure. Default 10 s.
        public var fetchTimeout: Duration
        /// A responder used for every certificate instead of its AIA URL (a caching proxy, an
        /// internal responder), like Apache's SSLStaplingForceURL. A per-certificate override
        /// given to `add` wins over this one. Default nil.
        public var responderURL: String?
        /// How far thisUpdate/nextUpdate may be off when a persisted staple is re-verified at
        /// start (RFC 6960 §4.2.2.1 times against our clock). Default 5 minutes.
        public var clockSkew: Duration
        /// Events each subscriber may leave unread; older ones are dropped first. Default 1,024.
        public var eventBufferSize: Int
        /// How often the aggregate gauges are refreshed. Default 60 s.
        public var metricsInterval: Duration
        /// The source of jitter: a number in [0, 1). Default `Double.random(in: 0..<1)`;
        /// tests pin it.
        public var randomUnit: @Sendable () -> Double

        public init(
            policy: StaplePolicy = StaplePolicy(),
            maximumConcurrentFetches: Int = 16,
            fetchTimeout: Duration = .seconds(10),
            responderURL: String? = nil,
            clockSkew: Duration = .seconds(300),
            eventBufferSize: Int = 1024,
            metricsInterval: Duration = .seconds(60),
            randomUnit: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
        ) {
            self.policy = policy
            self.maximumConcurrentFetches = max(1, maximumConcurrentFetches)
            self.fetchTimeout = fetchTimeout
            self.responderURL = responderURL
            self.clockSkew = clockSkew
            self.eventBufferSize = eventBufferSize
            self.metricsInterval = metricsInterval
            self.randomUnit = randomUnit
        }
    }
}
