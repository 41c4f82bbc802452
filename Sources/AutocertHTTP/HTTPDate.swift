import Foundation

/// An HTTP-date (RFC 9110 §5.6.7) read by hand: `IMF-fixdate` (`Sun, 06 Nov 1994 08:49:37 GMT`)
/// and, because "a recipient that parses a timestamp value in an HTTP field MUST accept all
/// three HTTP-date formats", the obsolete `rfc850-date` (`Sunday, 06-Nov-94 08:49:37 GMT`) and
/// asctime's format (`Sun Nov  6 08:49:37 1994`).
///
/// No `DateFormatter`: it is built per call, is not `Sendable`, depends on the locale data
/// Foundation ships, and leaked an internal character set per use under LeakSanitizer on
/// inputs a CA could send. This reads ASCII, in linear time, with no allocation beyond the
/// field split.
enum HTTPDate {
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    static let shortDays = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    static let longDays = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

    /// The instant `text` names, or nil when it is no HTTP-date. The day name is checked for
    /// its form, not against the date (RFC 9110 gives it no meaning of its own). `now` places
    /// an rfc850-date's two-digit year.
    static func parse(_ text: String, now: Date = Date()) -> Date? {
        guard text.utf8.count <= 64, text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else { return nil }
        let fields = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        if fields.count == 6, fields[0].hasSuffix(","), shortDays.contains(String(fields[0].dropLast())), fields[5] == "GMT" {
            // IMF-fixdate: day-name "," SP date1 SP time-of-day SP GMT, date1 = day SP month SP year
            guard fields[1].utf8.count == 2, fields[3].utf8.count == 4, let day = Int(fields[1]),
                  let month = months.firstIndex(of: fields[2]), let year = Int(fields[3]) else { return nil }
            return instant(year: year, month: month + 1, day: day, time: fields[4])
        }
        if fields.count == 4, fields[0].hasSuffix(","), longDays.contains(String(fields[0].dropLast())), fields[3] == "GMT" {
            // rfc850-date: day-name-l "," SP date2 SP time-of-day SP GMT, date2 = day "-" month "-" 2DIGIT
            let parts = fields[1].split(separator: "-", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 3, parts[0].utf8.count == 2, parts[2].utf8.count == 2, let day = Int(parts[0]),
                  let month = months.firstIndex(of: parts[1]), let twoDigits = Int(parts[2]) else { return nil }
            // RFC 9110 §5.6.7: a two-digit year that appears to be more than 50 years in the
            // future is the most recent past year with the same last two digits.
            let century = (1970 + Int(now.timeIntervalSince1970 / 31_556_952)) / 100 * 100
            guard let candidate = instant(year: century + twoDigits, month: month + 1, day: day, time: fields[2]) else { return nil }
            if candidate.timeIntervalSince(now) > 50 * 31_556_952 {
                return instant(year: century + twoDigits - 100, month: month + 1, day: day, time: fields[2])
            }
            return candidate
        }
        if fields.count == 5, shortDays.contains(fields[0]) {
            // asctime-date: day-name SP date3 SP time-of-day SP year, date3 = month SP ( 2DIGIT / ( SP DIGIT ))
            guard let month = months.firstIndex(of: fields[1]), (1...2).contains(fields[2].utf8.count), let day = Int(fields[2]),
                  fields[4].utf8.count == 4, let year = Int(fields[4]) else { return nil }
            return instant(year: year, month: month + 1, day: day, time: fields[3])
        }
        return nil
    }

    /// The instant of a proleptic Gregorian date and `HH:MM:SS` in UTC, or nil when a part is
    /// out of range (a leap second, 60, is allowed as RFC 9110's `second = 2DIGIT` is).
    private static func instant(year: Int, month: Int, day: Int, time: String) -> Date? {
        let parts = time.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ $0.utf8.count == 2 && $0.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }),
              let hour = Int(parts[0]), let minute = Int(parts[1]), let second = Int(parts[2]),
              hour < 24, minute < 60, second <= 60,
              (1...9999).contains(year), (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day)
        else { return nil }
        let seconds = daysSinceEpoch(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second
        return Date(timeIntervalSince1970: TimeInterval(seconds))
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days from 1970-01-01 to the date (the civil-from-days inverse, in 400-year eras).
    private static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
