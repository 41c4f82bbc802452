import AutocertOCSP
import Foundation

/// The outcome of one certificate's lookup.
struct LookupResult: Sendable {
    let path: String
    let result: Result<OCSPAnswer, OCSPError>

    var outcome: Outcome {
        switch result {
        case .failure: .noVerifiedAnswer
        case .success(let answer):
            switch answer.status {
            case .good: .good
            case .revoked: .revoked
            case .unknown: .unknown
            }
        }
    }
}

/// Prints results (text or JSON on stdout, reasons on stderr) and, on a terminal, progress.
actor Reporter {
    private let json: Bool
    private let total: Int
    private var finishedCount = 0
    private let showProgress: Bool

    init(json: Bool, total: Int) {
        self.json = json
        self.total = total
        self.showProgress = total > 1 && isatty(STDERR_FILENO) == 1
    }

    func finished(_ result: LookupResult) {
        finishedCount += 1
        if showProgress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        let prefix = total > 1 ? "\(result.path): " : ""
        if json {
            print(JSONLine.render(result, includePath: total > 1))
        } else if case .success(let answer) = result.result {
            print(prefix + TextLine.render(answer))
        }
        if case .failure(let error) = result.result {
            FileHandle.standardError.write(Data("\(prefix)no verified answer: \(error.code): \(error.reason)\n".utf8))
        }
        if showProgress, finishedCount < total {
            FileHandle.standardError.write(Data("[\(finishedCount)/\(total)] checked".utf8))
        }
    }

    func done() {
        if showProgress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}

enum TextLine {
    static func render(_ answer: OCSPAnswer) -> String {
        var parts = [answer.status.description]
        if let time = answer.revocationTime { parts.append("revoked at \(iso(time))") }
        if let reason = answer.revocationReason { parts.append("reason \(reason)") }
        parts.append("thisUpdate \(iso(answer.thisUpdate))")
        parts.append("nextUpdate \(answer.nextUpdate.map(iso) ?? "none")")
        parts.append("producedAt \(iso(answer.producedAt))")
        if let url = answer.responderURL { parts.append("responder \(url)") }
        return parts.joined(separator: ", ")
    }
}

/// One JSON object with the fields the README documents, null where absent.
enum JSONLine {
    static func render(_ result: LookupResult, includePath: Bool) -> String {
        var object: [String: Any] = [
            "status": NSNull(), "thisUpdate": NSNull(), "nextUpdate": NSNull(), "producedAt": NSNull(),
            "revocationTime": NSNull(), "revocationReason": NSNull(), "responder": NSNull(), "error": NSNull(),
        ]
        if includePath { object["path"] = result.path }
        switch result.result {
        case .success(let answer):
            object["status"] = answer.status.description
            object["thisUpdate"] = iso(answer.thisUpdate)
            object["nextUpdate"] = answer.nextUpdate.map(iso) ?? NSNull()
            object["producedAt"] = iso(answer.producedAt)
            object["revocationTime"] = answer.revocationTime.map(iso) ?? NSNull()
            object["revocationReason"] = answer.revocationReason.map(\.description) ?? NSNull()
            object["responder"] = answer.responderURL ?? NSNull()
        case .failure(let error):
            object["status"] = "error"
            object["error"] = ["code": "\(error.code)", "reason": error.reason]
        }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}

func iso(_ date: Date) -> String { date.formatted(.iso8601) }
