import ArgumentParser

/// The `ocsp` command: look up and verify OCSP status with the AutocertOCSP library alone.
@main
struct OCSPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ocsp",
        abstract: "Look up, verify and save OCSP responses (RFC 6960 / RFC 5019).",
        discussion: """
            Exit status: 0 good, 1 revoked, 2 unknown, 3 no verified answer (the reason is \
            printed on stderr). With several certificates, the worst status wins.
            """,
        subcommands: [Check.self, Verify.self]
    )
}

/// The exit statuses shared by every subcommand.
enum Outcome: Int32 {
    case good = 0
    case revoked = 1
    case unknown = 2
    case noVerifiedAnswer = 3

    /// Worse outcomes win when several certificates are checked.
    var severity: Int {
        switch self {
        case .good: 0
        case .unknown: 1
        case .revoked: 2
        case .noVerifiedAnswer: 3
        }
    }
}
