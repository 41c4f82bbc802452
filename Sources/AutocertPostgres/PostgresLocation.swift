import AutocertStorage
import Foundation

/// Where a ``PostgresStorage`` connects: the user, host, port and database of a
/// `postgres://USER@HOST:PORT/DATABASE` URL, which holds no password.
public struct PostgresLocation: Sendable, Hashable, CustomStringConvertible {
    public let user: String
    public let host: String
    public let port: Int
    public let database: String

    /// Parses `postgres://USER@HOST[:PORT][/DATABASE]` (or `postgresql://`); the port defaults
    /// to 5432 and the database to the user's name, as libpq does.
    ///
    /// - Throws: ``StorageError/Code/unavailable`` when the URL is not of that shape, or holds a
    ///   password (give the password separately, from an environment variable or a file, so
    ///   that it shows in no log line, process list or shell history).
    public init(url: String) throws(StorageError) {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              scheme == "postgres" || scheme == "postgresql"
        else {
            throw StorageError(.unavailable, "'\(Self.redacted(url))' is not a PostgreSQL URL; write postgres://USER@HOST:PORT/DATABASE")
        }
        guard components.password == nil else {
            throw StorageError(.unavailable, "the PostgreSQL URL '\(Self.redacted(url))' holds a password; remove it from the URL and pass it separately (read from an environment variable or a file)")
        }
        guard let user = components.user, !user.isEmpty, let host = components.host, !host.isEmpty else {
            throw StorageError(.unavailable, "the PostgreSQL URL '\(url)' names no user or no host; write postgres://USER@HOST:PORT/DATABASE")
        }
        guard components.query == nil, components.fragment == nil else {
            throw StorageError(.unavailable, "the PostgreSQL URL '\(url)' has a query or fragment, which is not read; write postgres://USER@HOST:PORT/DATABASE and pass TLS settings as parameters")
        }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        guard !path.contains("/") else {
            throw StorageError(.unavailable, "the PostgreSQL URL '\(url)' has more than a database name after the host; write postgres://USER@HOST:PORT/DATABASE")
        }
        self.user = user
        self.host = host
        self.port = components.port ?? 5432
        self.database = path.isEmpty ? user : path
    }

    /// The URL again, without a password (it never has one): safe for log lines and errors.
    public var description: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "postgres://\(user)@\(shownHost):\(port)/\(database)"
    }

    /// Whether the host is this machine (127.0.0.0/8, ::1 or localhost), where TLS adds nothing.
    public var isLoopback: Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    /// `url` with anything between `//` and `@` after a colon replaced, for an error message
    /// about a URL that may hold a password.
    static func redacted(_ url: String) -> String {
        guard let scheme = url.range(of: "://"), let at = url[scheme.upperBound...].firstIndex(of: "@") else { return url }
        let credentials = url[scheme.upperBound..<at]
        guard let colon = credentials.firstIndex(of: ":") else { return url }
        return String(url[..<colon]) + ":…" + String(url[at...])
    }
}
