import Foundation

/// The LD_PRELOAD library that keeps wildcard-binding test peers on loopback.
///
/// OpenSSL 3.0's `openssl ocsp -port N` can only listen on every interface; tests must bind
/// 127.0.0.1 only. The shim (Resources/loopback_bind.c) rewrites such a bind to loopback.
/// It is compiled once per machine with the system C compiler into the temporary folder.
public enum LoopbackBindShim {
    /// The path of the compiled shim, building it if needed.
    public static func path() async throws -> String {
        guard let source = Bundle.module.path(forResource: "loopback_bind", ofType: "c", inDirectory: "Resources") else {
            throw TestSupportError("loopback_bind.c is missing from the AutocertTestSupport bundle")
        }
        let contents = try String(contentsOfFile: source, encoding: .utf8)
        let library = FileManager.default.temporaryDirectory.path + "/autocert-loopback-bind-\(fnv1a(contents)).so"
        if FileManager.default.fileExists(atPath: library) { return library }
        let partial = library + ".\(getpid()).tmp"
        let compiler = try (try? TestProcess.which("cc")) ?? TestProcess.which("gcc")
        let (status, output) = try await TestProcess.run(compiler, ["-shared", "-fPIC", "-O2", "-o", partial, source, "-ldl"])
        guard status == 0 else { throw TestSupportError("compiling the loopback bind shim failed: \(output)") }
        rename(partial, library)
        return library
    }
}

/// A stable 64-bit FNV-1a hash, so the compiled shim's name changes only with its source.
private func fnv1a(_ text: String) -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 {
        hash ^= UInt64(byte)
        hash &*= 0x100_0000_01b3
    }
    return String(hash, radix: 16)
}
