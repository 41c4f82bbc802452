@testable import AutocertTLS
import Testing

/// Inputs the fuzzers of Fuzz/ found (docs/testing.md, "Fuzzing"), fed to the same parsers.
@Suite("Fuzz regressions: AutocertTLS")
struct FuzzRegressionTests {
    /// StoredRecordFuzzer: a PEM line ending in blanks took time quadratic in their number
    /// (64 KiB of them: 21 s under the fuzzer, about 10 s in an optimised build), because
    /// trimming dropped one character at a time with `Collection.dropLast()`, which counts
    /// the whole line each time.
    @Test("a PEM line ending in 256 KiB of blanks is read in linear time")
    func pemLineEndingInManyBlanks() throws {
        let blanks = String(repeating: " ", count: 256 * 1024)
        let text = "-----BEGIN CERTIFICATE-----\nAAAA" + blanks + "\n" + blanks + "AAAA\n-----END CERTIFICATE-----\n"
        let clock = ContinuousClock()
        var blocks: [PEM.Block] = []
        let elapsed = try clock.measure { blocks = try PEM.blocks(in: text) }
        #expect(blocks.map(\.label) == ["CERTIFICATE"])
        #expect(blocks.first?.der == [0, 0, 0, 0, 0, 0])
        // Linear: milliseconds. Quadratic, 256 Ki blanks at each end took minutes.
        #expect(elapsed < .seconds(2), "took \(elapsed)")
    }
}
