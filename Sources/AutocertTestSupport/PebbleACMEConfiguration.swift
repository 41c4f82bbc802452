import AutocertACME

extension ACMEClient.Configuration {
    /// An ACME client configuration for the tests' Pebble: the default polling (50 ms, doubling:
    /// quick for a CA that validates at once, PEBBLE_VA_NOSLEEP) with pauses of at most 2 s and a
    /// 60-s bound, and enough nonce retries for Pebble's random nonce rejection.
    public static var pebble: ACMEClient.Configuration {
        var configuration = ACMEClient.Configuration()
        configuration.polling = ACMEPolling(maximumInterval: .seconds(2), timeout: .seconds(60))
        configuration.requestTimeout = .seconds(20)
        // With Pebble rejecting 15 % of nonces at random, 5 attempts fail one request in
        // 0.15^5 ≈ 1 / 13 000, about 1 % of runs; 8 attempts make it 1 / 3.8 million.
        configuration.maxNonceAttempts = 8
        return configuration
    }
}
