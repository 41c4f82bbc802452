import AutocertHTTP
import Foundation

/// HTTP/1.0 on the wire (RFC 1945; RFC 9112 for the message syntax): the request's bytes,
/// and the response's head and body read back.
///
/// Requests are HTTP/1.0 so the server closes the connection after answering and sends no
/// chunked body; the body is then Content-Length bytes, or everything up to the close.
enum PlainHTTPMessage {
    /// The largest status line and header section accepted.
    static let maxHeadBytes = 16 * 1024

    /// The bytes of `request` for `url`.
    static func encode(_ request: HTTPRequest, url: PlainHTTPURL) throws(HTTPTransportError) -> [UInt8] {
        var head = "\(request.method.rawValue) \(url.target) HTTP/1.0\r\nHost: \(url.hostField)\r\nConnection: close\r\n"
        for field in request.headers {
            guard !(field.name + field.value).contains(where: { $0 == "\r" || $0 == "\n" }) else {
                throw HTTPTransportError(.transportFailure, "header '\(field.name)' contains a line break; remove it")
            }
            head += "\(field.name): \(field.value)\r\n"
        }
        if let body = request.body { head += "Content-Length: \(body.count)\r\n" }
        return Array((head + "\r\n").utf8) + (request.body ?? [])
    }

    /// The status, header fields and body length of a response whose head ends in `bytes`.
    struct Head {
        var status: Int
        var headers: [HTTPHeader]
        /// Where the body starts in the received bytes.
        var bodyStart: Int
        /// The Content-Length, when the server sent one.
        var contentLength: Int?
    }

    /// The head of the response, once `bytes` holds all of it; nil while it is still coming.
    static func head(in bytes: [UInt8], peer: String) throws(HTTPTransportError) -> Head? {
        guard let end = headEnd(in: bytes) else {
            guard bytes.count <= maxHeadBytes else {
                throw HTTPTransportError(.transportFailure, "\(peer) sent more than \(maxHeadBytes) bytes of headers; it is not an OCSP responder")
            }
            return nil
        }
        let lines = String(decoding: bytes[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusWords = lines[0].split(separator: " ", maxSplits: 2)
        guard statusWords.count >= 2, statusWords[0].hasPrefix("HTTP/1."), let status = Int(statusWords[1]), (100...999).contains(status) else {
            throw HTTPTransportError(.transportFailure, "\(peer) answered '\(lines[0].prefix(80))', not an HTTP/1 status line")
        }
        var headers: [HTTPHeader] = []
        for line in lines.dropFirst() where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append(HTTPHeader(name: String(line[..<colon]), value: line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        let response = HTTPResponse(status: status, headers: headers, body: [], url: "")
        guard response.header("Transfer-Encoding") == nil else {
            throw HTTPTransportError(.transportFailure, "\(peer) sent a Transfer-Encoding body to an HTTP/1.0 request, which this example transport does not decode")
        }
        var contentLength: Int?
        if let value = response.header("Content-Length") {
            guard let length = Int(value), length >= 0 else {
                throw HTTPTransportError(.transportFailure, "\(peer) sent Content-Length '\(value)', not a length")
            }
            contentLength = length
        }
        return Head(status: status, headers: headers, bodyStart: end + 4, contentLength: contentLength)
    }

    /// The index of the blank line's CR LF CR LF that ends the head, if it has arrived.
    private static func headEnd(in bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        return (0...(bytes.count - 4)).first { bytes[$0] == 13 && bytes[$0 + 1] == 10 && bytes[$0 + 2] == 13 && bytes[$0 + 3] == 10 }
    }
}
