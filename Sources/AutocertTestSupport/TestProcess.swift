import Foundation
import Synchronization

/// A child process started by a test (a responder, Pebble, a TLS client), stopped by its PID.
public final class TestProcess: Sendable {
    private let process: Process
    private let output = OutputBuffer()
    public let commandLine: String

    /// The process ID, for `kill`.
    public var pid: Int32 { process.processIdentifier }

    /// Starts `executable` (a path, or a name looked up in PATH) with `arguments`.
    /// Standard output and error are collected together; read them with ``outputText``.
    public init(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String]? = nil,
        currentDirectory: String? = nil,
        stdin: String? = nil
    ) throws {
        let path = executable.contains("/") ? executable : try TestProcess.which(executable)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        if let environment {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let input = Pipe()
        process.standardInput = input
        self.process = process
        self.commandLine = ([path] + arguments).joined(separator: " ")
        try process.run()
        // Foundation closes the parent's copy of the child's ends; this makes sure of it
        // (FileHandle.close is idempotent), so the reader sees end-of-file when the child exits.
        try? pipe.fileHandleForWriting.close()
        // A plain thread blocking in read(2), not a readabilityHandler: a dispatch source on a
        // pipe whose descriptor is closed under it crashes libdispatch's event loop.
        let reader = pipe.fileHandleForReading
        let buffer = output
        let thread = Thread {
            var chunk = [UInt8](repeating: 0, count: 16_384)
            while true {
                let count = read(reader.fileDescriptor, &chunk, chunk.count)
                if count > 0 { buffer.append(chunk[..<count]); continue }
                if count < 0, errno == EINTR { continue }
                break
            }
            buffer.finish()
            try? reader.close()
        }
        thread.name = "TestProcess output"
        thread.start()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try? input.fileHandleForWriting.close()
    }

    /// Everything the process printed so far.
    public var outputText: String { output.text }

    public var isRunning: Bool { process.isRunning }

    /// The exit status, once it has exited.
    public var exitStatus: Int32? { process.isRunning ? nil : process.terminationStatus }

    /// Waits (bounded) for the process to exit and returns its status.
    @discardableResult
    public func waitForExit(timeout: Duration = .seconds(30)) async throws -> Int32 {
        try await Poll.until("\(commandLine) to exit", timeout: timeout, interval: .milliseconds(10)) { !self.process.isRunning }
        return process.terminationStatus
    }

    /// Stops the process by its PID: SIGTERM, then SIGKILL once `grace` has passed.
    ///
    /// A child may inherit a signal mask that blocks SIGTERM (the test runner's threads
    /// block it), so the grace period is short by default.
    public func stop(grace: Duration = .seconds(1)) async {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        if (try? await waitForExit(timeout: grace)) == nil {
            kill(process.processIdentifier, SIGKILL)
            _ = try? await waitForExit(timeout: .seconds(5))
        }
    }

    /// Runs a command to completion (bounded) and returns its status and output.
    public static func run(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String]? = nil,
        stdin: String? = nil,
        timeout: Duration = .seconds(60)
    ) async throws -> (status: Int32, output: String) {
        let child = try TestProcess(executable, arguments, environment: environment, stdin: stdin)
        do {
            let status = try await child.waitForExit(timeout: timeout)
            // The output is complete once the reader has seen end-of-file (bounded: a
            // grandchild may still hold the pipe open).
            try? await Poll.until("the output of \(child.commandLine)", timeout: .seconds(5), interval: .milliseconds(5)) { child.output.isFinished }
            return (status, child.outputText)
        } catch {
            await child.stop()
            throw error
        }
    }

    /// The full path of `name` in PATH.
    public static func which(_ name: String) throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin"] {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw TestSupportError("'\(name)' is not installed; run scripts/install-deps.sh")
    }
}

/// The output of a child, filled by its reader thread.
final class OutputBuffer: Sendable {
    private let state = Mutex<(bytes: [UInt8], finished: Bool)>(([], false))

    func append(_ bytes: ArraySlice<UInt8>) { state.withLock { $0.bytes.append(contentsOf: bytes) } }
    func finish() { state.withLock { $0.finished = true } }
    var isFinished: Bool { state.withLock { $0.finished } }
    var text: String { state.withLock { String(decoding: $0.bytes, as: UTF8.self) } }
}
