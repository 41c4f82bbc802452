import AutocertACME
@_spi(Fuzzing) import Autocert
import AutocertTLS
import Foundation
import FuzzDriver

/// libFuzzer target: what is read back from storage at start. The input is read as the
/// certificate record of `fuzz.test` (``CertificateRecordFuzzing``: the Manager's validation
/// and the storage sweep's notAfter), as a stored account key or pending certificate key
/// (`ACMECertificateKey(pemRepresentation:)`, which reads it as an `ACMEAccountKey` first),
/// and by AutocertTLS's PEM reader (`CertifiedKey(chainPEM:privateKeyPEM:)`).
///
/// Beyond no crash, no leak and no hang: a record that validates must read back the same
/// once written out, and must become a `CertifiedKey`.

/// The name the seeds' records are for.
let name = "fuzz.test"
/// 2000-01-01T00:00:00Z: every certificate made since is unexpired, and a notAfter in
/// UTCTime's 1950–1999 reaches the expiry check.
let now = Date(timeIntervalSince1970: 946_684_800)

func fuzz(_ input: UnsafeRawBufferPointer) {
    let bytes = Array(input)
    let reading = CertificateRecordFuzzing.read(bytes, name: name, now: now)
    if reading.notAfter != nil {
        guard reading.rewrittenMatches == true else { fatalError("a valid record does not read back the same once written out") }
        guard reading.becameCertifiedKey == true else { fatalError("a valid record does not become a CertifiedKey") }
        guard reading.sweptNotAfter == reading.notAfter else {
            fatalError("the sweep reads notAfter \(String(describing: reading.sweptNotAfter)), validation \(String(describing: reading.notAfter))")
        }
    }
    let text = String(decoding: bytes, as: UTF8.self)
    _ = try? ACMECertificateKey(pemRepresentation: text)
    _ = try? CertifiedKey(chainPEM: text, privateKeyPEM: text)
    clearBoringSSLErrorQueue()
}

/// Empties swift-crypto's BoringSSL error queue of this thread. A key that does not parse
/// leaves errors there, with text allocated for them and freed only when later errors take
/// their slot (BoringSSL keeps the last 16 per thread): bounded, not a leak, but an input
/// that leaves more allocations than it frees makes libFuzzer run a whole LeakSanitizer scan
/// after it. Without this, one input in about 15 caused a scan and the campaign ran at
/// 100–340 executions a second instead of about 1,800.
@_silgen_name("CCryptoBoringSSL_ERR_clear_error")
func clearBoringSSLErrorQueue()

@_cdecl("StoredRecordFuzzer_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv, fuzz)
}
