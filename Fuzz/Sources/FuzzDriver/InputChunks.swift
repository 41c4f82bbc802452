/// How a byte stream is cut into reads, derived from the input itself.
///
/// The same input always gives the same cuts (a crash reproduces from its file alone), and
/// any mutation gives other cuts, so over a campaign a stream arrives whole, a byte at a
/// time, in TCP-segment-sized pieces and in every mix of these. The cuts come from a
/// SplitMix64 generator seeded with the FNV-1a hash of the input.
public struct InputChunks {
    private var state: UInt64

    public init(_ input: UnsafeRawBufferPointer) {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in input { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        state = hash
    }

    /// The next pseudo-random number.
    public mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// Chunk sizes (each at least 1) that add up to `count`: one in eight streams whole, one
    /// in sixteen a byte at a time, the rest in a mix of tiny (1–8 bytes), small (up to 300)
    /// and segment-sized (up to 1,500) pieces.
    public mutating func sizes(count: Int) -> [Int] {
        guard count > 0 else { return [] }
        switch next() % 16 {
        case 0, 1: return [count]
        case 2: return Array(repeating: 1, count: count)
        default:
            var sizes: [Int] = []
            var left = count
            while left > 0 {
                let roll = next()
                let limit = switch roll % 4 { case 0: 8; case 1: 300; default: 1_500 }
                let size = min(left, Int((roll >> 8) % UInt64(limit)) + 1)
                sizes.append(size)
                left -= size
            }
            return sizes
        }
    }
}
