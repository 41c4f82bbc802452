import Crypto
import SwiftASN1
import X509

/// The handle of one certificate in a ``StaplingManager``: the SHA-256 of the leaf's DER.
///
/// Cheap to hash and compare (four words, no allocation), stable across restarts, and
/// computable by anyone who holds the certificate, so a TLS layer can find a staple from
/// the chain it serves without keeping the value ``StaplingManager/add(_:responderURL:)``
/// returned.
public struct StapleID: Hashable, Sendable, CustomStringConvertible {
    let word0, word1, word2, word3: UInt64

    /// The ID of the certificate whose DER encoding is `leafDER`.
    public init(leafDER: some Sequence<UInt8>) {
        var hasher = SHA256()
        hasher.update(data: Array(leafDER))
        var words: [UInt64] = [0, 0, 0, 0]
        for (index, byte) in hasher.finalize().enumerated() {
            words[index / 8] = words[index / 8] << 8 | UInt64(byte)
        }
        (word0, word1, word2, word3) = (words[0], words[1], words[2], words[3])
    }

    /// An ID no certificate has in practice (the SHA-256 of nothing known): an empty slot's filler.
    static let zero = StapleID(words: (0, 0, 0, 0))

    init(words: (UInt64, UInt64, UInt64, UInt64)) {
        (word0, word1, word2, word3) = words
    }

    /// The ID of `certificate`.
    public init(certificate: Certificate) {
        self.init(leafDER: Self.der(certificate))
    }

    /// The DER of `certificate`.
    static func der(_ certificate: Certificate) -> [UInt8] {
        var coder = DER.Serializer()
        // Serialising a parsed or built Certificate re-emits its stored bytes; it cannot fail.
        try! coder.serialize(certificate)
        return coder.serializedBytes
    }

    /// The words are SHA-256 output, already uniform: hashing one of them is enough.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(word0)
    }

    /// The SHA-256 in lower-case hex (64 characters).
    public var hex: String {
        [word0, word1, word2, word3].map { word in
            let digits = String(word, radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }.joined()
    }

    /// The first 16 hex digits: enough to tell certificates apart in logs.
    public var description: String { String(hex.prefix(16)) }

    /// The storage name of this certificate's staple.
    var storageName: String { Self.storagePrefix + hex }

    /// What every persisted staple's storage name starts with.
    static let storagePrefix = "ocsp-"

    /// The ID whose ``storageName`` is `name`; nil for any other name.
    init?(storageName name: String) {
        guard name.hasPrefix(Self.storagePrefix) else { return nil }
        let hex = name.dropFirst(Self.storagePrefix.count)
        guard hex.count == 64 else { return nil }
        var words: [UInt64] = []
        var index = hex.startIndex
        for _ in 0..<4 {
            let end = hex.index(index, offsetBy: 16)
            guard let word = UInt64(hex[index..<end], radix: 16) else { return nil }
            words.append(word)
            index = end
        }
        self.init(words: (words[0], words[1], words[2], words[3]))
    }
}
