/// One shard of the handshake path's staple map: an open-addressing table of slots in one
/// array, so that a lookup touches one slot (the ID, the staple reference and its end
/// together) instead of a dictionary's separate key and value arrays.
///
/// Linear probing; the home slot comes from the ID's own bits (SHA-256 output, already
/// uniform, so there is nothing to hash); deletion shifts later entries back, so there are
/// no tombstones and probes stay short. At most half full. Not thread-safe: one lock each.
struct StapleTable {
    struct Slot {
        var id: StapleID
        var staple: ServedStaple?
    }

    private var slots: [Slot]
    private var mask: Int
    private(set) var count = 0

    init(capacity: Int = 16) {
        let size = max(16, capacity.nextPowerOfTwo)
        slots = Array(repeating: Slot(id: StapleID.zero, staple: nil), count: size)
        mask = size - 1
    }

    @inline(__always)
    private func home(_ id: StapleID) -> Int {
        Int(truncatingIfNeeded: id.word2) & mask
    }

    func get(_ id: StapleID) -> ServedStaple? {
        var index = home(id)
        while let staple = slots[index].staple {
            if slots[index].id == id { return staple }
            index = (index + 1) & mask
        }
        return nil
    }

    mutating func set(_ id: StapleID, _ staple: ServedStaple) {
        var index = home(id)
        while slots[index].staple != nil {
            if slots[index].id == id {
                slots[index].staple = staple
                return
            }
            index = (index + 1) & mask
        }
        slots[index] = Slot(id: id, staple: staple)
        count += 1
        if count * 2 > slots.count { grow() }
    }

    mutating func remove(_ id: StapleID) {
        var index = home(id)
        while slots[index].staple != nil {
            if slots[index].id == id {
                deleteShifting(from: index)
                count -= 1
                return
            }
            index = (index + 1) & mask
        }
    }

    /// Empties `hole`, then moves back each following entry of the run that would no longer
    /// be found past the hole (its home is not cyclically within (hole, position]).
    private mutating func deleteShifting(from hole: Int) {
        var hole = hole
        var index = hole
        while true {
            index = (index + 1) & mask
            guard slots[index].staple != nil else { break }
            let wanted = home(slots[index].id)
            let stays = hole <= index ? (hole < wanted && wanted <= index) : (hole < wanted || wanted <= index)
            if !stays {
                slots[hole] = slots[index]
                hole = index
            }
        }
        slots[hole] = Slot(id: StapleID.zero, staple: nil)
    }

    private mutating func grow() {
        let old = slots
        slots = Array(repeating: Slot(id: StapleID.zero, staple: nil), count: old.count * 2)
        mask = slots.count - 1
        count = 0
        for slot in old {
            if let staple = slot.staple { set(slot.id, staple) }
        }
    }
}

extension Int {
    /// The smallest power of two at least `self` (1 for values below 1).
    fileprivate var nextPowerOfTwo: Int {
        self <= 1 ? 1 : 1 << (Int.bitWidth - (self - 1).leadingZeroBitCount)
    }
}
