import AutocertHTTP

extension HTTPTransport where Self == CurlTransport {
    /// The shared libcurl transport, ``CurlTransport/shared``, spelled where a transport is
    /// expected: `OCSPClient(transport: .curl)`.
    public static var curl: CurlTransport { .shared }
}
