import ArgumentParser
import AutocertStapling
import AutocertStorage
import Logging

/// Options for stapling the certificates you bring (`--cert`/`--key` without `--staple`):
/// a StaplingManager persisting in `--storage` becomes their staple source, as Caddy does
/// for manual certificates.
public struct ManualStaplingOptions: ParsableArguments {
    public init() {}

    @Option(name: .customLong("ocsp-responder"),
            help: ArgumentHelp("Fetch staples from this OCSP responder instead of each certificate's own (a caching proxy).", valueName: "URL"))
    var responder: String?

    /// The stapler for the certificates you bring, when `--storage` is given.
    public func makeStapler(storage opened: OpenedStorage?, logger: Logger) throws -> StaplingManager? {
        guard let opened else {
            if responder != nil { logger.warning("--ocsp-responder has no effect without --storage (or --domain)") }
            return nil
        }
        var configuration = StaplingManager.Configuration()
        configuration.responderURL = responder
        return StaplingManager(configuration: configuration, storage: opened.storage, logger: logger)
    }

    /// Runs `stapler` (fetches, refreshes, persistence) and logs its events while `body` runs.
    public static func running(_ stapler: StaplingManager?, logger: Logger, _ body: () async throws -> Void) async throws {
        guard let stapler else { return try await body() }
        let events = stapler.subscribe()
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await stapler.run() }
            tasks.addTask {
                for await event in events {
                    switch event {
                    case .fetched, .removed: logger.info("stapling: \(event)")
                    default: logger.warning("stapling: \(event)")
                    }
                }
            }
            defer { tasks.cancelAll() }
            try await body()
        }
    }
}
