import Foundation
import Testing
@testable import AutocertHTTP

/// HTTP-dates (RFC 9110 §5.6.7) as `Retry-After` carries them.
@Suite("HTTP-date: the three formats of RFC 9110 §5.6.7, by hand")
struct HTTPDateTests {
    /// RFC 9110 §5.6.7's example instant, Sun, 06 Nov 1994 08:49:37 GMT.
    static let example = Date(timeIntervalSince1970: 784_111_777)
    static let now = Date(timeIntervalSince1970: 1_795_996_800)  // 2026-11-30

    @Test("the RFC's example in each of the three formats is one instant")
    func threeFormats() {
        #expect(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT", now: Self.now) == Self.example)
        #expect(HTTPDate.parse("Sunday, 06-Nov-94 08:49:37 GMT", now: Self.now) == Self.example)
        #expect(HTTPDate.parse("Sun Nov  6 08:49:37 1994", now: Self.now) == Self.example)
    }

    @Test("dates across leap years and centuries match Foundation's own arithmetic")
    func calendarArithmetic() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: "UTC"))
        for (text, parts) in [
            ("Thu, 01 Jan 1970 00:00:00 GMT", (1970, 1, 1, 0, 0, 0)),
            ("Tue, 29 Feb 2000 23:59:59 GMT", (2000, 2, 29, 23, 59, 59)),
            ("Wed, 21 Oct 2015 07:28:00 GMT", (2015, 10, 21, 7, 28, 0)),
            ("Fri, 31 Dec 2100 12:00:00 GMT", (2100, 12, 31, 12, 0, 0)),
            ("Mon, 01 Mar 1900 00:00:01 GMT", (1900, 3, 1, 0, 0, 1)),
        ] {
            let expected = calendar.date(from: DateComponents(year: parts.0, month: parts.1, day: parts.2, hour: parts.3, minute: parts.4, second: parts.5))
            #expect(HTTPDate.parse(text, now: Self.now) == expected, "\(text)")
        }
    }

    @Test("an rfc850 two-digit year more than 50 years ahead is in the past century")
    func twoDigitYears() {
        let in2030 = HTTPDate.parse("Monday, 07-Jan-30 00:00:00 GMT", now: Self.now)
        let in1999 = HTTPDate.parse("Friday, 31-Dec-99 00:00:00 GMT", now: Self.now)
        #expect(in2030 == Date(timeIntervalSince1970: 1_893_974_400))
        #expect(in1999 == Date(timeIntervalSince1970: 946_598_400))
    }

    @Test("anything else is no date", arguments: [
        "", "soon", "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 6 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 94 08:49:37 GMT",
        "Sun, 31 Feb 1994 08:49:37 GMT", "Sun, 06 Nov 1994 24:00:00 GMT", "Sun, 06 Nov 1994 08:60:00 GMT",
        "Sun, 06 Foo 1994 08:49:37 GMT", "Xyz, 06 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 8:49:37 GMT",
        "Sunday, 06-Nov-1994 08:49:37 GMT", "Sun Nov 6 08:49:37 94", "+00\u{0}\u{0}\u{1}\n", "Sun, 06 Nov 1994 08:49:37 GMT garbage",
        "Sun, 00 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 0000 08:49:37 GMT", "Sun, -6 Nov 1994 08:49:37 GMT",
    ])
    func notDates(text: String) {
        #expect(HTTPDate.parse(text, now: Self.now) == nil)
    }

    @Test("Retry-After reads delay-seconds and each HTTP-date format as a wait from now, never negative")
    func retryAfter() {
        let now = Date(timeIntervalSince1970: 1_445_412_400)  // Wed, 21 Oct 2015 07:26:40 GMT
        #expect(HTTPResponse.retryAfter("120", now: now) == .seconds(120))
        #expect(HTTPResponse.retryAfter("Wed, 21 Oct 2015 07:28:00 GMT", now: now) == .seconds(80))
        #expect(HTTPResponse.retryAfter("Wednesday, 21-Oct-15 07:28:00 GMT", now: now) == .seconds(80))
        #expect(HTTPResponse.retryAfter("Wed Oct 21 07:28:00 2015", now: now) == .seconds(80))
        #expect(HTTPResponse.retryAfter("Wed, 21 Oct 2015 07:00:00 GMT", now: now) == .seconds(0))
        #expect(HTTPResponse.retryAfter("-5", now: now) == nil)
    }
}

/// Inputs the fuzzers of Fuzz/ found (docs/testing.md, "Fuzzing"), fed to the same parsers.
@Suite("Fuzz regressions: AutocertHTTP")
struct HTTPFuzzRegressionTests {
    /// ACMEResponseFuzzer, leak-164657e4…: this 43-byte Retry-After made Foundation's
    /// DateFormatter leak an internal character set (LeakSanitizer, 128 bytes per use). The
    /// HTTP-date is now read by hand (HTTPDate), with no formatter.
    @Test("the Retry-After that made DateFormatter leak is no date, read without a formatter")
    func retryAfterThatLeaked() throws {
        let input = try #require(Data(base64Encoded: "KzAwAAABCvGioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKi8Q=="))
        let text = String(decoding: input, as: UTF8.self)
        #expect(HTTPDate.parse(text) == nil)
        #expect(HTTPResponse.retryAfter(text) == nil)
    }
}
