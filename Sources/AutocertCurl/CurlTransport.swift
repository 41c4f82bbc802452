import AutocertHTTP
internal import CAutocertCurl
import Foundation
import Synchronization

/// The libcurl ``HTTPTransport``: the system's libcurl, driven by one dedicated thread.
///
/// The default transport of every part of the package that links it (the stapler, the ACME
/// client's convenience initializer, the `ocsp` command); ``HTTPTransport/curl`` names the
/// shared instance.
///
/// All transfers of one transport share a single `curl_multi` handle served by its own
/// thread, so waiting on the network never blocks Swift's cooperative thread pool and a
/// thousand concurrent fetches cost one thread, not a thousand. Only `http` and `https`
/// are allowed, redirects included; TLS peers are always verified.
public final class CurlTransport: HTTPTransport, Sendable {
    /// Options that apply to every request of this transport.
    public struct Configuration: Sendable, Hashable {
        /// A PEM file of extra trust anchors for `https` (e.g. an ACME test CA's root).
        /// When nil, the system's trust store is used. Verification is never switched off.
        public var caBundlePath: String?
        /// The `User-Agent` sent with each request.
        public var userAgent: String

        public init(caBundlePath: String? = nil, userAgent: String = "swift-autocert/0.1") {
            self.caBundlePath = caBundlePath
            self.userAgent = userAgent
        }
    }

    private let configuration: Configuration
    private let loop: CurlMultiLoop

    /// A transport shared by everything that does not need its own configuration.
    public static let shared = CurlTransport()

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        self.loop = CurlMultiLoop()
    }

    public func send(_ request: HTTPRequest, limits: HTTPLimits) async throws -> HTTPResponse {
        guard let scheme = request.url.split(separator: ":", maxSplits: 1).first?.lowercased(),
              scheme == "http" || scheme == "https"
        else {
            throw HTTPTransportError(.invalidURL, "'\(request.url)' is not an absolute http or https URL")
        }
        try Task.checkCancellation()
        let transfer = try CurlTransfer(request: request, limits: limits, configuration: configuration)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                transfer.continuation = continuation
                loop.submit(transfer)
            }
        } onCancel: {
            loop.cancel(transfer)
        }
    }
}

/// The thread that runs `curl_multi_poll` for every transfer of one transport.
///
/// The thread starts with the first transfer and ends after an idle poll, so an unused
/// transport holds no thread.
final class CurlMultiLoop: Sendable {
    private struct State: ~Copyable {
        var pending: [CurlTransfer] = []
        var cancellationPending = false
        var threadStarted = false
    }

    // libcurl allows curl_multi_wakeup from any thread; everything else runs on the loop thread.
    nonisolated(unsafe) private let multi: UnsafeMutableRawPointer
    private let state = Mutex(State())

    init() {
        CurlGlobal.initializeOnce()
        guard let multi = curl_multi_init() else {
            fatalError("curl_multi_init failed: libcurl could not allocate a multi handle")
        }
        self.multi = multi
    }

    func submit(_ transfer: CurlTransfer) {
        let startThread = state.withLock { state -> Bool in
            state.pending.append(transfer)
            defer { state.threadStarted = true }
            return !state.threadStarted
        }
        if startThread {
            let thread = Thread { [self] in self.run() }
            thread.name = "swift-autocert.curl"
            thread.start()
        } else {
            curl_multi_wakeup(multi)
        }
    }

    func cancel(_ transfer: CurlTransfer) {
        transfer.cancelled.store(true, ordering: .releasing)
        state.withLock { $0.cancellationPending = true }
        curl_multi_wakeup(multi)
    }

    /// The loop: admit new transfers, drop cancelled ones, poll, and finish completed ones.
    private func run() {
        var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]
        while true {
            let (newTransfers, cancellationPending) = state.withLock { state in
                defer { state.pending.removeAll(); state.cancellationPending = false }
                return (state.pending, state.cancellationPending)
            }
            for transfer in newTransfers {
                active[transfer.easy] = transfer
                curl_multi_add_handle(multi, transfer.easy)
            }
            // A transfer cancelled before it was admitted is caught here too: its flag is set.
            if cancellationPending || newTransfers.contains(where: { $0.cancelled.load(ordering: .acquiring) }) {
                for (easy, transfer) in active where transfer.cancelled.load(ordering: .acquiring) {
                    curl_multi_remove_handle(multi, easy)
                    active[easy] = nil
                    transfer.finish(.failure(HTTPTransportError(.cancelled, "the request was cancelled")))
                }
            }
            var running: Int32 = 0
            curl_multi_perform(multi, &running)
            var remaining: Int32 = 0
            while let message = curl_multi_info_read(multi, &remaining) {
                guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
                let result = message.pointee.data.result
                curl_multi_remove_handle(multi, easy)
                if let transfer = active.removeValue(forKey: easy) {
                    transfer.complete(with: result)
                }
            }
            var ready: Int32 = 0
            curl_multi_poll(multi, nil, 0, active.isEmpty ? 5_000 : 100, &ready)
            // Idle: let the thread end (and with it its hold on this loop); the next
            // submission starts a new one.
            if active.isEmpty, state.withLock({ state -> Bool in
                guard state.pending.isEmpty else { return false }
                state.threadStarted = false
                return true
            }) {
                return
            }
        }
    }

    deinit {
        curl_multi_cleanup(multi)
    }
}

/// Process-wide libcurl initialisation, done once before the first handle.
enum CurlGlobal {
    private static let initialized: Bool = {
        curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK
    }()

    static func initializeOnce() {
        precondition(initialized, "curl_global_init failed: libcurl cannot be used in this process")
    }
}
