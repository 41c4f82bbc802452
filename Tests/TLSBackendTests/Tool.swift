import AutocertTestSupport
import Foundation

/// Full paths of the CLI tools the tests run.
enum Tool {
    static func path(_ name: String) throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let directories = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin"]
        for directory in directories where FileManager.default.isExecutableFile(atPath: directory + "/" + name) {
            return directory + "/" + name
        }
        throw TestSupportError("'\(name)' is not installed; run scripts/install-deps.sh")
    }
}

/// A TLS client process whose output goes to a file, so that once it has exited the whole
/// transcript is there (no pipe left to drain). Stopped by its PID when it overruns.
final class ClientProcess: Sendable {
    private let process: Process
    private let outputPath: String

    init(_ tool: String, _ arguments: [String], stdin: String) throws {
        outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("tls-client-\(UUID().uuidString).txt").path
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool.contains("/") ? tool : try Tool.path(tool))
        process.arguments = arguments
        process.standardOutput = output
        process.standardError = output
        let input = Pipe()
        process.standardInput = input
        self.process = process
        try process.run()
        try? output.close()
        input.fileHandleForWriting.write(Data(stdin.utf8))
        try? input.fileHandleForWriting.close()
    }

    var isRunning: Bool { process.isRunning }

    /// The exit status, once it has exited.
    var status: Int32 { process.terminationStatus }

    /// Waits (bounded) for the exit, then returns everything the client printed.
    func finish(timeout: Duration = .seconds(20)) async throws -> String {
        do {
            try await Poll.until("\(process.executableURL?.lastPathComponent ?? "client") to exit", timeout: timeout, interval: .milliseconds(5)) {
                !self.process.isRunning
            }
        } catch {
            stop()
            throw error
        }
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        return (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
    }

    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    static func run(_ tool: String, _ arguments: [String], stdin: String) async throws -> String {
        try await ClientProcess(tool, arguments, stdin: stdin).finish()
    }
}
