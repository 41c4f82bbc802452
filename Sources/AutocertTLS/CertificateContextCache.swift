import Synchronization

/// What a backend derives from each ``CertifiedKey`` it serves (an SSL_CTX, a prepared
/// GnuTLS key), kept per certificate, bounded by least-recent use.
///
/// A warm handshake finds its context under one lock and parses nothing. The context does
/// not depend on the staple (the ``CertifiedKey/stapleSource`` is asked per handshake), so a
/// refreshed staple never causes a new one. When more than ``capacity`` certificates are in
/// use, the one used least recently is dropped (a later handshake prepares it again); a
/// certificate taken out of service (its last ``CertifiedKey`` released) frees its context at
/// once. Connections hold their own reference, so dropping a context never ends one.
package final class CertificateContextCache<Context: AnyObject & Sendable>: Sendable {
    /// The most contexts kept at once.
    package let capacity: Int
    private let state: Mutex<LRUTable<Context>>
    private let made = Atomic<Int>(0)
    private let prepare: @Sendable (CertifiedKey) throws -> Context

    /// - Parameter prepare: makes the context of a certificate (parses its chain and key).
    package init(capacity: Int, prepare: @escaping @Sendable (CertifiedKey) throws -> Context) {
        self.capacity = max(1, capacity)
        self.prepare = prepare
        state = Mutex(LRUTable(capacity: max(1, capacity)))
    }

    /// The context of `key`, prepared when there is none (outside the lock: two handshakes
    /// may race to prepare one; the first stored wins).
    package func context(for key: CertifiedKey) throws -> Context {
        let identity = key.identity
        if let context = state.withLock({ $0.get(identity) }) { return context }
        let context = try prepare(key)
        made.add(1, ordering: .relaxed)
        let (stored, inserted, evicted) = state.withLock { $0.insert(identity, context) }
        _ = evicted  // released here, outside the lock
        if inserted {
            key.onRetirement(owner: self) { [weak self] identity in self?.remove(identity) }
        }
        return stored
    }

    /// Drops the context of the certificate whose ``CertifiedKey/identity`` is `identity`.
    package func remove(_ identity: UInt64) {
        _ = state.withLock { $0.remove(identity) }  // released outside the lock
    }

    /// How many contexts are kept now.
    package var count: Int { state.withLock { $0.count } }

    /// How many contexts were prepared since this cache was made (each a parse of the chain
    /// and key and a library context): what tests count to show staples cost none.
    package var preparations: Int { made.load(ordering: .relaxed) }
}

/// A fixed-capacity map from identity to value that drops the least recently used entry:
/// a dictionary into slot arrays joined as a doubly linked list, most recent first.
struct LRUTable<Value> {
    private var slots: [UInt64: Int] = [:]
    private var identities: [UInt64] = []
    private var values: [Value?] = []
    private var previous: [Int] = []
    private var next: [Int] = []
    private var head = -1
    private var tail = -1
    private var free: [Int] = []
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    var count: Int { slots.count }

    /// The value of `identity`, now the most recently used.
    mutating func get(_ identity: UInt64) -> Value? {
        guard let slot = slots[identity] else { return nil }
        if slot != head {
            unlink(slot)
            linkFirst(slot)
        }
        return values[slot]
    }

    /// Stores `value` for `identity` unless one is there; returns the value kept, whether it
    /// is the new one, and the least recently used value dropped to make room (if the table
    /// was full), for the caller to release.
    mutating func insert(_ identity: UInt64, _ value: Value) -> (kept: Value, inserted: Bool, evicted: Value?) {
        if let existing = get(identity) { return (existing, false, nil) }
        var evicted: Value?
        if slots.count >= capacity, tail >= 0 { evicted = remove(identities[tail]) }
        let slot: Int
        if let reused = free.popLast() {
            slot = reused
            identities[slot] = identity
            values[slot] = value
        } else {
            slot = identities.count
            identities.append(identity)
            values.append(value)
            previous.append(-1)
            next.append(-1)
        }
        slots[identity] = slot
        linkFirst(slot)
        return (value, true, evicted)
    }

    /// Removes `identity`; returns its value, for the caller to release.
    mutating func remove(_ identity: UInt64) -> Value? {
        guard let slot = slots.removeValue(forKey: identity) else { return nil }
        unlink(slot)
        let value = values[slot]
        values[slot] = nil
        free.append(slot)
        return value
    }

    private mutating func unlink(_ slot: Int) {
        let before = previous[slot], after = next[slot]
        if before >= 0 { next[before] = after } else { head = after }
        if after >= 0 { previous[after] = before } else { tail = before }
        previous[slot] = -1
        next[slot] = -1
    }

    private mutating func linkFirst(_ slot: Int) {
        previous[slot] = -1
        next[slot] = head
        if head >= 0 { previous[head] = slot }
        head = slot
        if tail < 0 { tail = slot }
    }
}
