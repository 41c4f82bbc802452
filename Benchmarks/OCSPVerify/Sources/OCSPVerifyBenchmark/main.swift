import AutocertOCSP
import COpenSSLOCSPBench
import Foundation
import X509

// Parse+verify throughput, ours against OpenSSL, on the same responses in the same run.
//
//   OCSPVerifyBenchmark <fixtures-dir> [rounds] [seconds-per-round] [ours|openssl] [case]
//
// The last two arguments restrict the run to one implementation and one case (for a profiler).
// <fixtures-dir> holds, for each case NAME: NAME.resp.der, NAME.cert.der, NAME.issuer.der
// (scripts/bench-ocsp.sh makes them with `openssl ocsp`). Each round runs one
// implementation for about `seconds-per-round`; rounds alternate between the two, and the
// median of the rounds' verifications/s is reported.

struct Case {
    let name: String
    let response: [UInt8]
    let certificate: [UInt8]
    let issuer: [UInt8]
}

func load(_ directory: URL, _ name: String) throws -> Case {
    func read(_ suffix: String) throws -> [UInt8] { Array(try Data(contentsOf: directory.appendingPathComponent(name + suffix))) }
    return Case(name: name, response: try read(".resp.der"), certificate: try read(".cert.der"), issuer: try read(".issuer.der"))
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

/// Runs `body` in batches until `seconds` have passed; returns calls per second.
func measure(seconds: Double, _ body: () -> Bool) -> Double {
    let clock = ContinuousClock()
    let start = clock.now
    var calls = 0
    var batch = 16
    while true {
        for _ in 0..<batch {
            guard body() else { fatalError("a verification failed during the benchmark") }
        }
        calls += batch
        let elapsed = start.duration(to: clock.now)
        let secondsElapsed = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        if secondsElapsed >= seconds { return Double(calls) / secondsElapsed }
        batch = min(batch * 2, 4096)
    }
}

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    print("usage: OCSPVerifyBenchmark <fixtures-dir> [rounds] [seconds-per-round]")
    exit(2)
}
let directory = URL(fileURLWithPath: arguments[1])
let rounds = arguments.count > 2 ? Int(arguments[2]) ?? 7 : 7
let seconds = arguments.count > 3 ? Double(arguments[3]) ?? 0.5 : 0.5

let only = arguments.count > 4 ? arguments[4] : nil
let names = arguments.count > 5 ? [arguments[5]] : ["ecdsa-p256-issuer", "rsa2048-issuer", "rsa2048-delegated"]
print("case                 ours (verif/s)   OpenSSL (verif/s)   ours/OpenSSL")
for name in names {
    let fixture = try load(directory, name)
    let subject = try OCSPSubject(
        certificate: Certificate(derEncoded: fixture.certificate),
        issuer: Certificate(derEncoded: fixture.issuer))
    let verifier = OCSPVerifier(subject: subject)
    let policy = OCSPVerificationPolicy()  // now; the responses are minutes old
    guard let context = fixture.issuer.withUnsafeBufferPointer({ issuer in
        fixture.certificate.withUnsafeBufferPointer { cert in
            COpenSSLOCSPBench_context_new(issuer.baseAddress, issuer.count, cert.baseAddress, cert.count)
        }
    }) else { fatalError("\(name): OpenSSL context") }
    defer { COpenSSLOCSPBench_context_free(context) }

    func ours() -> Bool {
        (try? verifier.verify(fixture.response, policy: policy))?.status == .good
    }
    func openssl() -> Bool {
        fixture.response.withUnsafeBufferPointer { COpenSSLOCSPBench_verify(context, $0.baseAddress, $0.count) } == 0
    }
    // Both must agree the response is good before anything is timed.
    do {
        _ = try verifier.verify(fixture.response, policy: policy)
    } catch {
        fatalError("\(name): ours refuses the response: \(error)")
    }
    guard openssl() else {
        var buffer = [CChar](repeating: 0, count: 1024)
        COpenSSLOCSPBench_last_error(&buffer, buffer.count)
        fatalError("\(name): OpenSSL refuses the response: \(String(cString: buffer))")
    }
    // Warm-up, then alternate rounds.
    _ = measure(seconds: seconds / 2, ours)
    _ = measure(seconds: seconds / 2, openssl)
    var oursRates: [Double] = [], opensslRates: [Double] = []
    for _ in 0..<rounds {
        oursRates.append(only == "openssl" ? .nan : measure(seconds: seconds, ours))
        opensslRates.append(only == "ours" ? .nan : measure(seconds: seconds, openssl))
    }
    let a = median(oursRates), b = median(opensslRates)
    print(name.padding(toLength: 20, withPad: " ", startingAt: 0) + String(format: " %14.0f   %17.0f   %12.2f", a, b, a / b))
}
