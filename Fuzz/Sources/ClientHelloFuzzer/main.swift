@_spi(Fuzzing) import AutocertTLS
import FuzzDriver

/// libFuzzer target: the ClientHello reader (RFC 8446 §4.1.2, §5.1) on a byte stream as a
/// client sends it, read whole and again in chunks derived from the input (``InputChunks``),
/// as the TLS handler reads a stream arriving in pieces.
///
/// Beyond no crash, no leak and no hang, two properties must hold for every input:
/// - the chunked reads come to the same outcome as one read of the whole stream (the same
///   ClientHello, or the same error code, or both still waiting for more);
/// - the reader examines each byte received at most twice, however the stream is cut
///   (its work is linear in the bytes received).

/// The handler's limit (``TLSServerConfiguration/maximumClientHelloSize``, 16 KiB by default).
let maximumSize = TLSServerConfiguration().maximumClientHelloSize

func fuzz(_ input: UnsafeRawBufferPointer) {
    let bytes = Array(input)
    var chunks = InputChunks(input)
    let whole = ClientHelloReaderFuzzing.read(bytes, chunkSizes: [], maximumSize: maximumSize)
    let pieces = ClientHelloReaderFuzzing.read(bytes, chunkSizes: chunks.sizes(count: bytes.count), maximumSize: maximumSize)
    if whole.result != pieces.result {
        fatalError("read whole: \(whole.result); read in chunks: \(pieces.result)")
    }
    for reading in [whole, pieces] where reading.bytesExamined > 2 * bytes.count {
        fatalError("examined \(reading.bytesExamined) bytes of a \(bytes.count)-byte stream")
    }
}

@_cdecl("ClientHelloFuzzer_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv, fuzz)
}
