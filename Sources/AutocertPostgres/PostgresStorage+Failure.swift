import AutocertStorage
import Foundation
import PostgresNIO

extension PostgresStorage {
    /// The ``StorageError`` for `error`, raised while trying to `what`: names the URL (never the
    /// password), says what failed and what to do.
    func failure(_ error: any Error, doing what: String) -> StorageError {
        let error = Self.unwrapped(error)
        if let error = error as? StorageError { return error }
        if let error = error as? TimedOut {
            let (started, problem) = state.withLock { ($0.started, $0.problem) }
            let why = problem.map { " (the last connection attempt: \($0))" } ?? ""
            let hint = started
                ? "it is down, unreachable or overloaded; retry later (the operation may or may not have been done)"
                : "the storage is not running: add it to a ServiceGroup before the services that use it, or call run()"
            return StorageError(.unavailable, "PostgreSQL at \(location) did not \(what) within \(error.timeout)\(why); \(hint)")
        }
        if let error = error as? PostgresSchema.SchemaTooNew {
            return StorageError(.unavailable, "the database at \(location) has autocert schema version \(error.found), newer than this library's \(PostgresSchema.newestVersion); upgrade this program to the version the other instances run")
        }
        let cause = Self.cause(of: error)
        guard let error = error as? PSQLError else {
            return StorageError(.unavailable, "could not \(what) at \(location): \(cause); retry later")
        }
        switch error.code {
        case .server:
            return serverFailure(error, cause: cause, doing: what)
        case .connectionError:
            return StorageError(.unavailable, "could not connect to PostgreSQL at \(location) to \(what): \(cause); check that it runs there, listens on TCP and is reachable")
        case .serverClosedConnection, .clientClosedConnection, .uncleanShutdown:
            return StorageError(.unavailable, "the connection to PostgreSQL at \(location) was lost while trying to \(what); it is restarting or down: retry later (the operation may or may not have been done)")
        case .sslUnsupported:
            return StorageError(.unavailable, "PostgreSQL at \(location) does not offer TLS, which tls: .require needs; turn ssl on in PostgreSQL, or pass tls: .disable for a server on a trusted network")
        case .failedToAddSSLHandler:
            return StorageError(.unavailable, "TLS to PostgreSQL at \(location) failed: \(cause); check the server's certificate, or pass tls: .disable for a server on a trusted network")
        case .authMechanismRequiresPassword:
            return StorageError(.unavailable, "PostgreSQL at \(location) asks user '\(location.user)' for a password and none was given; pass the password (from an environment variable or a file)")
        case .unsupportedAuthMechanism, .saslError:
            return StorageError(.unavailable, "could not log in to PostgreSQL at \(location) as '\(location.user)' (\(cause)); use scram-sha-256 or md5 password authentication in pg_hba.conf")
        case .poolClosed:
            return StorageError(.unavailable, "could not \(what): the storage for \(location) was shut down (its run() has ended)")
        default:
            return StorageError(.unavailable, "could not \(what) at \(location): \(cause); retry later")
        }
    }

    /// An error PostgreSQL sent: its SQLSTATE says whether it is the server's state (down,
    /// starting, refusing the login: unavailable) or the request's (ioFailed).
    private func serverFailure(_ error: PSQLError, cause: String, doing what: String) -> StorageError {
        let state = error.serverInfo?[.sqlState] ?? ""
        switch state {
        case "28P01", "28000":
            return StorageError(.unavailable, "PostgreSQL at \(location) refused user '\(location.user)': \(cause); check the password given, the user, and pg_hba.conf")
        case "3D000":
            return StorageError(.unavailable, "the database '\(location.database)' does not exist at \(location) (\(cause)); create it: createdb -O \(location.user) \(location.database)")
        case "42501":
            return StorageError(.unavailable, "PostgreSQL at \(location) refused to \(what): \(cause); make '\(location.user)' the owner of the database '\(location.database)'")
        default:
            break
        }
        // Connection exceptions, resources, operator intervention (shutdown, starting up), system
        // errors, and serialization failures or deadlocks: all pass, a retry succeeds.
        if ["08", "40", "53", "57", "58"].contains(String(state.prefix(2))) {
            return StorageError(.unavailable, "PostgreSQL at \(location) could not \(what): \(cause); it is restarting, shutting down or overloaded: retry later")
        }
        return StorageError(.ioFailed, "PostgreSQL at \(location) refused to \(what): \(cause); if the autocert_ tables were changed by hand, restore them")
    }

    /// What went wrong, in a few words: the server's message and SQLSTATE, or the operating
    /// system's reason a connection failed.
    static func cause(of error: any Error) -> String {
        switch unwrapped(error) {
        case let error as PSQLError:
            if let message = error.serverInfo?[.message] {
                return "\"\(message)\" (SQLSTATE \(error.serverInfo?[.sqlState] ?? "?"))"
            }
            return error.underlying.map { cause(of: $0) } ?? "\(error.code)"
        case let error as NIOConnectionError:
            if let first = error.connectionErrors.first { return cause(of: first.error) }
            if let dns = error.dnsAError ?? error.dnsAAAAError { return "could not resolve '\(error.host)' (\(dns))" }
            return "'\(error.host)' has no address"
        case let error as IOError:
            return String(cString: strerror(error.errnoCode)).lowercased()
        case ChannelError.connectTimeout(let timeout):
            return "no answer to connecting within \(timeout)"
        case is ConnectionClosed:
            return "the connection was closed (PostgreSQL stopped or restarted, or the network dropped it)"
        case let error as TimedOut:
            return "no answer within \(error.timeout)"
        case is CancellationError:
            return "cancelled"
        case let error:
            return String(describing: error)
        }
    }

    /// The error inside a failed transaction, or `error`.
    private static func unwrapped(_ error: any Error) -> any Error {
        guard let transaction = error as? PostgresTransactionError else { return error }
        return transaction.closureError ?? transaction.beginError ?? transaction.commitError ?? transaction.rollbackError ?? error
    }
}
