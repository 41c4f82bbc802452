import Foundation

/// The reader of stored certificate records as the `StoredRecordFuzzer` libFuzzer target
/// (Fuzz/) drives it.
///
/// Exists only for the fuzzers: Fuzz/ is a separate package and cannot see internal
/// symbols. It behaves like nothing of its own and is not API (SPI `Fuzzing`).
@_spi(Fuzzing) public enum CertificateRecordFuzzing {
    /// What the Manager made of a stored blob.
    public struct Reading: Sendable {
        /// The notAfter the storage sweep reads (``CertificateRecord/notAfter(ofStored:)``).
        public var sweptNotAfter: Date?
        /// The leaf's notAfter when the blob validated as `name`'s record at `now`
        /// (``CertificateRecord/init(name:pem:now:)``), else nil.
        public var notAfter: Date?
        /// For a record that validated: whether writing it out (``CertificateRecord/pem``) and
        /// reading that back gives the same chain, and whether it became a ``CertifiedKey``.
        public var rewrittenMatches: Bool?
        public var becameCertifiedKey: Bool?
    }

    /// Reads `bytes` as the stored record of `name` at `now`, as the Manager does at start,
    /// and as the storage sweep does.
    public static func read(_ bytes: [UInt8], name: String, now: Date) -> Reading {
        var reading = Reading(sweptNotAfter: CertificateRecord.notAfter(ofStored: bytes))
        guard let record = try? CertificateRecord(name: name, pem: String(decoding: bytes, as: UTF8.self), now: now) else {
            return reading
        }
        reading.notAfter = record.notAfter
        let again = try? CertificateRecord(name: name, pem: record.pem, now: now)
        reading.rewrittenMatches = again?.chain == record.chain && again?.key.derRepresentation == record.key.derRepresentation
        reading.becameCertifiedKey = (try? record.certifiedKey(stapleSource: nil)) != nil
        return reading
    }
}
