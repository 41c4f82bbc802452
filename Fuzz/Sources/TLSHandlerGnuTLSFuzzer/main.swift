import AutocertGnuTLS
import FuzzDriver
import TLSHandlerFuzzDriver

/// libFuzzer target: the GnuTLS backend's server handler fed a client's byte stream in
/// chunks (``TLSHandlerFuzzDriver``). No crash, no leak, no hang, whatever the bytes.

@_cdecl("TLSHandlerGnuTLSFuzzer_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    let backend: GnuTLSBackend
    do { backend = try GnuTLSBackend() } catch { fatalError("GnuTLS backend: \(error)") }
    let driver = TLSHandlerFuzzDriver(backend: backend)
    return runLibFuzzer(argc, argv) { driver.run($0) }
}
