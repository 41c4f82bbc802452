@_spi(OCSPWire) import AutocertOCSP
import Foundation
import FuzzDriver

/// libFuzzer entry point: parse the input as an OCSPResponse, then run the whole verifier
/// on it for one fixed subject. Any outcome is fine; a crash, a hang or a leak is not.

/// The subject every input is verified for: BoringSSL's ocsp_sign_indirect certificate and
/// issuer (RSA; its responses use a delegated responder, so both signer paths are reachable
/// from the seeds).
let fuzzSubject: OCSPSubject = {
    let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Tests/AutocertOCSPTests/Fixtures/vectors/boringssl/ocsp_unittest")
    do {
        let cert = try String(contentsOf: fixtures.appendingPathComponent("ocsp_sign_indirect.cert.pem"), encoding: .utf8)
        let issuer = try String(contentsOf: fixtures.appendingPathComponent("ocsp_sign_indirect.ca.pem"), encoding: .utf8)
        return try OCSPSubject(pem: cert, issuerPEM: issuer)
    } catch {
        fatalError("fuzzer subject: \(error)")
    }
}()

/// 2017-03-05T00:00:00Z, when the BoringSSL seeds are fresh.
let fuzzPolicy = OCSPVerificationPolicy(now: Date(timeIntervalSince1970: 1_488_672_000))
let fuzzVerifier = OCSPVerifier(subject: fuzzSubject)

func fuzz(_ input: UnsafeRawBufferPointer) {
    let bytes = Array(input)
    if let response = try? OCSPResponse(derBytes: bytes) {
        // Whatever parses must re-serialise to the same bytes (DER is canonical).
        if let again = try? response.derBytes(), again != bytes {
            fatalError("re-serialisation differs for \(bytes.count)-byte input")
        }
        if let basic = try? response.responseBytes?.basicResponse() {
            _ = basic.responseData.responses.count
        }
    }
    _ = try? fuzzVerifier.verify(bytes, policy: fuzzPolicy)
    _ = try? fuzzVerifier.verify(bytes, certID: fuzzSubject.certID(), policy: fuzzPolicy)
}

@_cdecl("OCSPResponseFuzzer_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    // Build the subject before the first input, so that its one-time allocations are not
    // counted against that input by the leak checker.
    _ = fuzzVerifier
    return runLibFuzzer(argc, argv, fuzz)
}
