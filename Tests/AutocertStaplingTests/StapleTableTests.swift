@testable import AutocertStapling
import Foundation
import Testing

/// The served-staple table against a Dictionary doing the same operations.
@Suite("StapleTable: the served-staple table against a Dictionary")
struct StapleTableTests {
    /// Random sets, replacements and removals, with IDs crowded onto few home slots (so that
    /// runs wrap around the end and deletions shift entries back), checked after every step.
    @Test("random sets, replacements and removals on crowded, wrapping slots match a Dictionary at every step", arguments: [1, 2, 3])
    func behavesLikeADictionary(seed: UInt64) {
        var random = SplitMix(seed: seed)
        // 64 IDs whose home slots (word2) fall on 8 values near the table's end, so runs wrap.
        let ids = (0..<64).map { index in
            StapleID(words: (random.next(), random.next(), UInt64(13 + index % 8), UInt64(index)))
        }
        var table = StapleTable()
        var model: [StapleID: ServedStaple] = [:]
        for step in 0..<5_000 {
            let id = ids[Int(random.next() % UInt64(ids.count))]
            switch random.next() % 3 {
            case 0, 1:
                let staple = ServedStaple(der: [UInt8(step & 0xFF), 1], until: Date(timeIntervalSinceReferenceDate: Double(step)))
                table.set(id, staple)
                model[id] = staple
            default:
                table.remove(id)
                model[id] = nil
            }
            #expect(table.count == model.count)
            for probe in ids {
                let found = table.get(probe)
                let expected = model[probe]
                if found?.der != expected?.der || found?.until != expected?.until {
                    Issue.record("step \(step): \(probe) gave \(String(describing: found?.der)), expected \(String(describing: expected?.der))")
                    return
                }
            }
        }
    }

    @Test("growing to 10,000 entries keeps every one, and removing half leaves the other half")
    func growsAndKeepsEverything() {
        var table = StapleTable()
        let ids = (0..<10_000).map { StapleID(leafDER: Array("leaf \($0)".utf8)) }
        for (index, id) in ids.enumerated() {
            table.set(id, ServedStaple(der: [UInt8(index & 0xFF)], until: Date(timeIntervalSinceReferenceDate: Double(index))))
        }
        #expect(table.count == ids.count)
        #expect(ids.enumerated().allSatisfy { table.get($1)?.until == Date(timeIntervalSinceReferenceDate: Double($0)) })
        for id in ids.prefix(5_000) { table.remove(id) }
        #expect(table.count == 5_000)
        #expect(ids.prefix(5_000).allSatisfy { table.get($0) == nil })
        #expect(ids.suffix(5_000).allSatisfy { table.get($0) != nil })
        #expect(table.get(StapleID.zero) == nil)
    }
}

/// A small deterministic generator (SplitMix64), so a failure can be replayed.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
