/// A fresh nonce pool: nonces from `Replay-Nonce` headers, each used at most once (RFC 8555 §6.5).
actor ACMENonces {
    private var nonces: [String] = []
    private let capacity: Int

    init(capacity: Int = 16) { self.capacity = capacity }

    /// Takes the newest nonce, if any is left.
    func take() -> String? { nonces.popLast() }

    /// Keeps a nonce from a response; the oldest is dropped beyond the capacity.
    func add(_ nonce: String) {
        guard !nonce.isEmpty else { return }
        nonces.append(nonce)
        if nonces.count > capacity { nonces.removeFirst(nonces.count - capacity) }
    }
}
