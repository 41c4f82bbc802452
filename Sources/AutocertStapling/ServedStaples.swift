import Foundation
import Synchronization

/// A staple ready for the handshake path: the bytes and the instant they stop being valid.
struct ServedStaple: Sendable {
    let der: [UInt8]
    let until: Date
}

/// The handshake path's map of served staples, in 16 shards behind their own locks, so that
/// concurrent handshakes (and the scheduler installing a staple) rarely meet on one lock.
/// Each shard is a ``StapleTable``. A lock is held only for one table operation: never
/// across I/O or a suspension.
final class ServedStaples: Sendable {
    private final class Shard: Sendable {
        let table = Mutex(StapleTable())
    }

    private let shards: [Shard] = (0..<16).map { _ in Shard() }

    @inline(__always)
    private func shard(_ id: StapleID) -> Shard {
        shards[Int(truncatingIfNeeded: id.word1 & 15)]
    }

    @inline(__always)
    func get(_ id: StapleID) -> ServedStaple? {
        shard(id).table.withLock { $0.get(id) }
    }

    func set(_ id: StapleID, _ staple: ServedStaple) {
        shard(id).table.withLock { $0.set(id, staple) }
    }

    func remove(_ id: StapleID) {
        shard(id).table.withLock { $0.remove(id) }
    }
}
