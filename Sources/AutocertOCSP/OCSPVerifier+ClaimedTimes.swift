import Foundation

extension OCSPVerifier {
    /// The thisUpdate and nextUpdate the first SingleResponse of `der` claims (RFC 6960
    /// §4.2.1), read WITHOUT verifying anything: for housekeeping (is a stored response long
    /// past its end?), never for trusting or stapling a response.
    ///
    /// - Throws: ``OCSPError`` when `der` is not a successful basic response with a SingleResponse.
    public static func claimedTimes(_ der: [UInt8]) throws(OCSPError) -> (thisUpdate: Date, nextUpdate: Date?) {
        let response = try OCSPResponse(derBytes: der)
        if let error = response.responseStatus.error { throw error }
        guard let bytes = response.responseBytes else {
            throw OCSPError(.malformedResponse, "a successful response without responseBytes (RFC 6960 §4.2.1)")
        }
        guard let single = try bytes.basicResponse().responseData.responses.first else {
            throw OCSPError(.noMatchingResponse, "the response holds no SingleResponse")
        }
        return (Date(single.thisUpdate), single.nextUpdate.map(Date.init))
    }
}
