@_spi(Fuzzing) import AutocertACME
import FuzzDriver

/// libFuzzer target: every reader of a CA's answers (``ACMEResponseFuzzing/read(_:)``) on the
/// input as a response body: problem documents, the JSON resources (directory, account,
/// order, authorization, challenge, renewal information), certificate chain PEM, and the
/// `Link` and `Retry-After` headers. Any outcome is fine; a crash, a hang or a leak is not.

@_cdecl("ACMEResponseFuzzer_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv) { _ = ACMEResponseFuzzing.read(Array($0)) }
}
