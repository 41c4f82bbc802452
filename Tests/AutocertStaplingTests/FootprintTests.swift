@testable import AutocertStapling
import Testing

/// Guards the per-certificate footprint the scale benchmark measured (docs/benchmarks/stapling-scale.md).
@Suite("Stapler: per-certificate memory footprint")
struct FootprintTests {
    @Test("per-certificate state stays small: StapleEntry at most 104 bytes, ServedStaple 16, StapleID 32, ScheduledItem at most 64")
    func perCertificateStateStaysSmall() {
        #expect(MemoryLayout<StapleEntry>.stride <= 104, "StapleEntry is \(MemoryLayout<StapleEntry>.stride) bytes")
        #expect(MemoryLayout<ServedStaple>.stride == 16)
        #expect(MemoryLayout<StapleID>.stride == 32)
        #expect(MemoryLayout<ScheduledItem>.stride <= 64)
    }
}
