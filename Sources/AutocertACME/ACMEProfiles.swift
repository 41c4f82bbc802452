extension ACMEClient {
    /// The certificate profiles the CA offers (name → description), empty when it offers none.
    public func profiles() async throws -> [String: String] {
        try await directory().meta?.profiles ?? [:]
    }

    /// Throws unless the CA offers `profile`, naming the ones it does offer.
    ///
    /// - Throws: ``ACMEError/Code/invalidInput`` for an unknown profile (before any order is made).
    public func checkProfile(_ profile: String) async throws {
        let offered = try await profiles()
        guard offered[profile] == nil else { return }
        let list = offered.isEmpty ? "it offers no profiles (its directory has no meta.profiles)"
                                   : "it offers " + offered.keys.sorted().map { "\($0) (\(offered[$0]!))" }.joined(separator: ", ")
        throw ACMEError(.invalidInput, "the CA at \(directoryURL) has no certificate profile \"\(profile)\": \(list); choose one of those or none")
    }
}
