import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A throwaway PostgreSQL server: its own data directory, listening on 127.0.0.1 and a free
/// port (its Unix socket in the temporary directory), with a database and a user with a password.
///
/// Debian's `postgresql` package provides the server (`/usr/lib/postgresql/<version>/bin`).
/// PostgreSQL refuses to run as root, so as root `initdb` and `postgres` run as the `postgres`
/// user through `setpriv` (util-linux), which executes the program in its own process: the PID
/// stopped is the server's. ``shutDown()`` and ``start()`` stop and start the same data
/// directory again (outage tests); ``stop()`` ends it and removes its files.
public final class PostgresHarness: Sendable {
    public let directory: TemporaryDirectory
    public let port: Int
    /// The user the storage logs in as (it owns ``database``); not a superuser.
    public let user = "autocert"
    public let password: String
    public let database = "autocert"
    private let binaries: String
    private let server = Mutex<TestProcess?>(nil)

    /// The URL of ``database`` for ``user`` (no password: give ``password`` separately).
    public var url: String { url(database: database) }

    /// The URL of `database` on this server, for ``user``.
    public func url(database: String) -> String { "postgres://\(user)@127.0.0.1:\(port)/\(database)" }

    /// Creates a data directory, starts the server and creates the user and its database.
    /// On any failure what was started is stopped by PID and the files are removed.
    public init() async throws {
        binaries = try Self.binaries()
        directory = try TemporaryDirectory(prefix: "postgres")
        port = try FreePort.allocate()
        password = UUID().uuidString
        do {
            try Self.giveToPostgresUser(directory.path)
            let (program, arguments) = Self.asPostgresUser(binaries + "/initdb", [
                "-D", directory.file("data"), "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256",
                "--no-sync", "--no-instructions", "-E", "UTF8", "--locale=C.UTF-8",
            ])
            let initdb = try await TestProcess.run(program, arguments, timeout: .seconds(120))
            guard initdb.status == 0 else { throw TestSupportError("initdb failed (\(initdb.status)):\n\(initdb.output)") }
            try await start()
            try await superuser("CREATE ROLE \(user) LOGIN PASSWORD '\(password)'")
            try await superuser("CREATE DATABASE \(database) OWNER \(user)")
        } catch {
            await stop()
            throw error
        }
    }

    /// Starts the server on the data directory and waits (bounded) until it accepts connections.
    public func start() async throws {
        let (program, arguments) = Self.asPostgresUser(binaries + "/postgres", [
            "-D", directory.file("data"), "-h", "127.0.0.1", "-p", "\(port)", "-k", directory.path,
            // A test server: durability is not wanted, speed is.
            "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
        ])
        let process = try TestProcess(program, arguments)
        server.withLock { $0 = process }
        do {
            try await Poll.until("PostgreSQL on 127.0.0.1:\(port) to accept connections", timeout: .seconds(30), interval: .milliseconds(50)) {
                guard process.isRunning else {
                    throw TestSupportError("PostgreSQL exited (\(process.exitStatus ?? -1)) while starting:\n\(process.outputText)")
                }
                return try await TestProcess.run(binaries + "/pg_isready", ["-q", "-h", "127.0.0.1", "-p", "\(port)", "-t", "1"], timeout: .seconds(10)).status == 0
            }
        } catch {
            await shutDown()
            throw error
        }
    }

    /// Stops the server by its PID (SIGINT, PostgreSQL's fast shutdown: clients are
    /// disconnected at once), then SIGKILL after `grace`; the data directory stays. A server
    /// frozen by ``signalEveryProcess(_:)`` is thawed first.
    public func shutDown(grace: Duration = .seconds(10)) async {
        guard let process = server.withLock({ $0 }), process.isRunning else { return }
        signalEveryProcess(SIGCONT)
        kill(process.pid, SIGINT)
        if (try? await process.waitForExit(timeout: grace)) == nil {
            kill(process.pid, SIGKILL)
            _ = try? await process.waitForExit(timeout: .seconds(10))
        }
    }

    /// Sends `signal` to the server and every process it started (its backends and helpers):
    /// SIGSTOP freezes it with every connection open, as a hung server or a network that drops
    /// packets would; SIGCONT thaws it.
    public func signalEveryProcess(_ signal: Int32) {
        guard let process = server.withLock({ $0 }), process.isRunning else { return }
        kill(process.pid, signal)
        for child in Self.children(of: process.pid) { kill(child, signal) }
    }

    /// The processes whose parent is `pid`, read from /proc.
    static func children(of pid: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { candidate in
            // /proc/PID/stat: "PID (COMMAND) STATE PPID …"; COMMAND may hold spaces, so read after its ')'.
            guard let stat = try? String(contentsOfFile: "/proc/\(candidate)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")")
            else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && Int32(fields[1]) == pid
        }
    }

    /// Stops the server and removes its files.
    public func stop() async {
        await shutDown()
        directory.remove()
    }

    /// Whether the server process runs now.
    public var isRunning: Bool { server.withLock { $0?.isRunning ?? false } }

    /// What the server printed (its log).
    public var serverOutput: String { server.withLock { $0?.outputText ?? "" } }

    /// Runs `sql` as the superuser over the Unix socket and returns its output (unaligned,
    /// tuples only: one row a line, columns separated by `|`).
    @discardableResult
    public func superuser(_ sql: String, database: String = "postgres") async throws -> String {
        let result = try await TestProcess.run(binaries + "/psql", [
            "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", directory.path, "-p", "\(port)",
            "-U", "postgres", "-d", database, "-c", sql,
        ], timeout: .seconds(60))
        guard result.status == 0 else { throw TestSupportError("psql failed (\(result.status)) on \(sql):\n\(result.output)") }
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A `psql` command line for the superuser on ``database`` over the server's Unix socket
    /// (as the `postgres` user when root), for a shell to look inside.
    public var superuserCommandLine: String {
        let (program, arguments) = Self.asPostgresUser(binaries + "/psql", ["-X", "-h", directory.path, "-p", "\(port)", "-U", "postgres", "-d", database])
        return ([program] + arguments).joined(separator: " ")
    }

    /// A new empty database owned by ``user``; returns its name.
    public func createDatabase() async throws -> String {
        let name = "autocert_\(UUID().uuidString.prefix(8).lowercased())"
        try await superuser("CREATE DATABASE \(name) OWNER \(user)")
        return name
    }

    // MARK: Finding and running the server

    /// The newest server binaries installed (`/usr/lib/postgresql/<version>/bin`).
    static func binaries() throws -> String {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted()
        guard let newest = versions.last(where: { FileManager.default.isExecutableFile(atPath: "\(root)/\($0)/bin/postgres") }) else {
            throw TestSupportError("PostgreSQL's server is not installed (no \(root)/<version>/bin/postgres); run scripts/install-deps.sh")
        }
        return "\(root)/\(newest)/bin"
    }

    static let setpriv = "/usr/bin/setpriv"

    /// The command that runs `program` with `arguments` as the `postgres` user when this process
    /// is root (`setpriv` executes it in its own process), or as is otherwise.
    static func asPostgresUser(_ program: String, _ arguments: [String]) -> (program: String, arguments: [String]) {
        guard geteuid() == 0 else { return (program, arguments) }
        return (setpriv, ["--reuid=postgres", "--regid=postgres", "--init-groups", "--", program] + arguments)
    }

    /// Makes the `postgres` user own `path` (when running as root), so that initdb can create
    /// the data directory in it and the server its socket.
    static func giveToPostgresUser(_ path: String) throws {
        guard geteuid() == 0 else { return }
        guard let entry = getpwnam("postgres") else {
            throw TestSupportError("there is no 'postgres' user; run scripts/install-deps.sh (Debian's postgresql package creates it)")
        }
        guard chown(path, entry.pointee.pw_uid, entry.pointee.pw_gid) == 0 else {
            throw TestSupportError("could not give \(path) to the postgres user (errno \(errno))")
        }
        guard FileManager.default.isExecutableFile(atPath: setpriv) else {
            throw TestSupportError("\(setpriv) is missing; install util-linux")
        }
    }
}
