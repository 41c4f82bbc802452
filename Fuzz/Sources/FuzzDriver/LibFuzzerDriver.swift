/// The libFuzzer driver every target of this package shares.
///
/// Targets are built with `-parse-as-library`, so their `main.swift` defines no `main`.
/// SwiftPM links an executable target with `main` aliased to `<Target>_main` (`--defsym`),
/// which each target defines with `@_cdecl("<Target>_main")` and forwards here; this hands
/// control to libFuzzer's own driver, which is what libFuzzer's `main` would do:
///
/// ```swift
/// @_cdecl("ClientHelloFuzzer_main")
/// public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
///     runLibFuzzer(argc, argv) { input in … }
/// }
/// ```
public enum FuzzDriver {}

/// Runs libFuzzer with `argc`/`argv` (its own flags and corpus directories), calling `body`
/// once per input. `body` must not keep the buffer. Anything a target builds once should be
/// built before this call, so that its one-time allocations are not counted against the first
/// input by the leak checker.
public func runLibFuzzer(
    _ argc: CInt,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
    _ body: @escaping (UnsafeRawBufferPointer) -> Void
) -> CInt {
    testOneInput = body
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, { data, size in
        testOneInput(UnsafeRawBufferPointer(start: data, count: size))
        return 0
    })
}

/// The input handler of this process (one fuzzer per process), set once before libFuzzer starts.
nonisolated(unsafe) private var testOneInput: (UnsafeRawBufferPointer) -> Void = { _ in }

/// libFuzzer's conventional entry point, for tools that call it directly.
@_cdecl("LLVMFuzzerTestOneInput")
public func llvmFuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    testOneInput(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt
