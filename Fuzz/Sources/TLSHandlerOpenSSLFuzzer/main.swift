import AutocertOpenSSL
import FuzzDriver
import TLSHandlerFuzzDriver

/// libFuzzer target: the OpenSSL backend's server handler fed a client's byte stream in
/// chunks (``TLSHandlerFuzzDriver``). No crash, no leak, no hang, whatever the bytes.

@_cdecl("TLSHandlerOpenSSLFuzzer_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    let driver = TLSHandlerFuzzDriver(backend: OpenSSLBackend())
    return runLibFuzzer(argc, argv) { driver.run($0) }
}
