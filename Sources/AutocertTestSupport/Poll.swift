/// Bounded polling: the only way tests wait for something.
public enum Poll {
    /// Evaluates `condition` every `interval` until it is true; throws once `timeout` passes.
    public static func until(
        _ what: String,
        timeout: Duration = .seconds(15),
        interval: Duration = .milliseconds(25),
        _ condition: () async throws -> Bool
    ) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while true {
            if try await condition() { return }
            if clock.now >= deadline {
                throw TestSupportError("timed out after \(timeout) waiting for \(what)")
            }
            try await Task.sleep(for: interval)
        }
    }
}
