import AutocertHTTP
internal import CAutocertCurl
import Synchronization

/// One easy handle and the buffers it fills; owned by ``CurlMultiLoop`` while it runs.
final class CurlTransfer: @unchecked Sendable {
    // Mutated only by the loop thread (callbacks run there), or before submission.
    let easy: UnsafeMutableRawPointer
    private let limits: HTTPLimits
    private let requestBody: [UInt8]
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private var body: [UInt8] = []
    private var headers: [HTTPHeader] = []
    private var bodyTooLarge = false
    private let finished = Mutex(false)
    /// Set by the caller's cancellation handler; read by the loop thread.
    let cancelled = Atomic<Bool>(false)
    var continuation: CheckedContinuation<HTTPResponse, any Error>?

    init(request: HTTPRequest, limits: HTTPLimits, configuration: CurlTransport.Configuration) throws {
        CurlGlobal.initializeOnce()
        guard let easy = curl_easy_init() else {
            throw HTTPTransportError(.transportFailure, "curl_easy_init failed (out of memory?)")
        }
        self.easy = easy
        self.limits = limits
        self.requestBody = request.body ?? []
        try configure(request: request, configuration: configuration)
    }

    deinit {
        curl_easy_cleanup(easy)
        curl_slist_free_all(headerList)
    }

    private func configure(request: HTTPRequest, configuration: CurlTransport.Configuration) throws {
        func check(_ code: CURLcode, _ what: String) throws {
            guard code == CURLE_OK else {
                throw HTTPTransportError(.transportFailure, "libcurl refused \(what): \(String(cString: curl_easy_strerror(code)))")
            }
        }
        let milliseconds = max(1, limits.timeout.components.seconds * 1000 + limits.timeout.components.attoseconds / 1_000_000_000_000_000)
        try check(CAutocertCurl_setopt_string(easy, CURLOPT_URL, request.url), "the URL")
        try check(CAutocertCurl_setopt_string(easy, CURLOPT_PROTOCOLS_STR, "http,https"), "the protocol list")
        try check(CAutocertCurl_setopt_string(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https"), "the redirect protocol list")
        try check(CAutocertCurl_setopt_long(easy, CURLOPT_TIMEOUT_MS, Int(milliseconds)), "the timeout")
        try check(CAutocertCurl_setopt_long(easy, CURLOPT_NOSIGNAL, 1), "NOSIGNAL")
        try check(CAutocertCurl_setopt_long(easy, CURLOPT_FOLLOWLOCATION, limits.maxRedirects > 0 ? 1 : 0), "redirects")
        try check(CAutocertCurl_setopt_long(easy, CURLOPT_MAXREDIRS, limits.maxRedirects), "the redirect limit")
        try check(CAutocertCurl_setopt_long(easy, CURLOPT_SSL_VERIFYPEER, 1), "peer verification")
        try check(CAutocertCurl_setopt_long(easy, CURLOPT_SSL_VERIFYHOST, 2), "host verification")
        try check(CAutocertCurl_setopt_offset(easy, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(limits.maxBodyBytes)), "the body cap")
        try check(CAutocertCurl_setopt_string(easy, CURLOPT_USERAGENT, configuration.userAgent), "the user agent")
        if let caBundle = configuration.caBundlePath {
            try check(CAutocertCurl_setopt_string(easy, CURLOPT_CAINFO, caBundle), "the CA bundle")
        }
        switch request.method {
        case .get:
            try check(CAutocertCurl_setopt_long(easy, CURLOPT_HTTPGET, 1), "GET")
        case .head:
            try check(CAutocertCurl_setopt_long(easy, CURLOPT_NOBODY, 1), "HEAD")
        case .post:
            try check(CAutocertCurl_setopt_long(easy, CURLOPT_POST, 1), "POST")
            try check(CAutocertCurl_setopt_offset(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(requestBody.count)), "the body size")
            // COPYPOSTFIELDS copies the bytes, so nothing needs to outlive this call.
            try requestBody.withUnsafeBytes { raw in
                let pointer = UnsafeMutableRawPointer(mutating: raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!)
                try check(CAutocertCurl_setopt_pointer(easy, CURLOPT_COPYPOSTFIELDS, pointer), "the body")
            }
        }
        var list: UnsafeMutablePointer<curl_slist>? = nil
        // Suppress curl's own "Expect: 100-continue" round trip for POST bodies.
        for line in request.headers.map({ "\($0.name): \($0.value)" }) + ["Expect:"] {
            list = curl_slist_append(list, line)
        }
        headerList = list
        try check(CAutocertCurl_setopt_slist(easy, CURLOPT_HTTPHEADER, list), "the headers")

        let me = Unmanaged.passUnretained(self).toOpaque()
        try check(CAutocertCurl_setopt_pointer(easy, CURLOPT_WRITEDATA, me), "the body sink")
        try check(CAutocertCurl_setopt_write_function(easy, CURLOPT_WRITEFUNCTION, curlBodyCallback), "the body callback")
        try check(CAutocertCurl_setopt_pointer(easy, CURLOPT_HEADERDATA, me), "the header sink")
        try check(CAutocertCurl_setopt_write_function(easy, CURLOPT_HEADERFUNCTION, curlHeaderCallback), "the header callback")
    }

    /// Appends body bytes, or refuses them (which aborts the transfer) past the cap.
    fileprivate func appendBody(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard body.count + bytes.count <= limits.maxBodyBytes else {
            bodyTooLarge = true
            return false
        }
        body.append(contentsOf: bytes)
        return true
    }

    /// Records one header line; a status line starts a new response (after a redirect).
    fileprivate func appendHeaderLine(_ line: String) {
        let trimmed = line.trimmingWhitespace()
        if trimmed.hasPrefix("HTTP/") {
            headers.removeAll()
            body.removeAll()
            return
        }
        guard let colon = trimmed.firstIndex(of: ":") else { return }
        let name = String(trimmed[..<colon]).trimmingWhitespace()
        let value = String(trimmed[trimmed.index(after: colon)...]).trimmingWhitespace()
        headers.append(HTTPHeader(name: name, value: value))
    }

    /// Called on the loop thread when libcurl reports the transfer done.
    func complete(with code: CURLcode) {
        guard code == CURLE_OK else {
            finish(.failure(error(for: code)))
            return
        }
        var status = 0
        CAutocertCurl_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        var effective: UnsafeMutablePointer<CChar>? = nil
        CAutocertCurl_getinfo_string(easy, CURLINFO_EFFECTIVE_URL, &effective)
        let url = effective.map { String(cString: $0) } ?? ""
        finish(.success(HTTPResponse(status: status, headers: headers, body: body, url: url)))
    }

    func finish(_ result: Result<HTTPResponse, any Error>) {
        let first = finished.withLock { done -> Bool in
            defer { done = true }
            return !done
        }
        guard first, let continuation else { return }
        self.continuation = nil
        continuation.resume(with: result)
    }

    private func error(for code: CURLcode) -> HTTPTransportError {
        let detail = String(cString: curl_easy_strerror(code))
        switch code {
        case CURLE_WRITE_ERROR where bodyTooLarge, CURLE_FILESIZE_EXCEEDED:
            return HTTPTransportError(.bodyTooLarge, "the response body exceeds the \(limits.maxBodyBytes)-byte cap")
        case CURLE_OPERATION_TIMEDOUT:
            return HTTPTransportError(.timedOut, "no complete response within \(limits.timeout)")
        case CURLE_TOO_MANY_REDIRECTS:
            return HTTPTransportError(.tooManyRedirects, "more than \(limits.maxRedirects) redirects")
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_GOT_NOTHING:
            return HTTPTransportError(.connectionFailed, "\(detail); check that the server is up and reachable")
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL:
            return HTTPTransportError(.invalidURL, detail)
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE:
            return HTTPTransportError(.tlsFailure, "\(detail); if the server uses a private CA, configure its root")
        default:
            return HTTPTransportError(.transportFailure, detail)
        }
    }
}

private let curlBodyCallback: curl_write_callback = { data, size, count, userdata in
    guard let userdata else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue()
    let length = size * count
    let bytes = UnsafeRawBufferPointer(start: data, count: length)
    return transfer.appendBody(bytes) ? length : 0
}

private let curlHeaderCallback: curl_write_callback = { data, size, count, userdata in
    guard let userdata else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue()
    let length = size * count
    let bytes = UnsafeRawBufferPointer(start: data, count: length)
    transfer.appendHeaderLine(String(decoding: bytes, as: UTF8.self))
    return length
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        var slice = Substring(self)
        while let first = slice.first, first.isWhitespace { slice.removeFirst() }
        while let last = slice.last, last.isWhitespace { slice.removeLast() }
        return String(slice)
    }
}
