import Testing

@testable import TaskwireServer

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

@Suite("The Date header")
struct HTTPDateCacheTests {
    @Test(arguments: [
        (784_111_777.0, "Sun, 06 Nov 1994 08:49:37 GMT"),  // RFC 9110's example
        (0.0, "Thu, 01 Jan 1970 00:00:00 GMT"),
        (951_782_400.0, "Tue, 29 Feb 2000 00:00:00 GMT"),  // a leap day of a year divisible by 400
        (4_107_542_399.0, "Sun, 28 Feb 2100 23:59:59 GMT"),  // 2100 has no 29 February
        (1_795_781_045.9, "Fri, 27 Nov 2026 12:04:05 GMT"),  // fractions of a second are cut, not rounded
        (-1.0, "Wed, 31 Dec 1969 23:59:59 GMT"),
    ])
    func formatsIMFFixdate(seconds: Double, expected: String) {
        #expect(HTTPDateCache.format(Date(timeIntervalSince1970: seconds)) == expected)
    }

    @Test func everyDayOfFourHundredYearsMatchesTheCalendar() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "GMT")!
        let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        // Every 13th day from 1900 to 2300, at a time of day that moves too.
        var seconds = -2_208_988_800.0
        while seconds < 10_413_792_000 {
            let date = Date(timeIntervalSince1970: seconds)
            let c = calendar.dateComponents([.year, .month, .day, .weekday, .hour, .minute, .second], from: date)
            func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
            let expected = "\(weekdays[c.weekday! - 1]), \(two(c.day!)) \(months[c.month! - 1]) \(c.year!) \(two(c.hour!)):\(two(c.minute!)):\(two(c.second!)) GMT"
            guard HTTPDateCache.format(date) == expected else {
                Issue.record("\(seconds): \(HTTPDateCache.format(date)) != \(expected)")
                return
            }
            seconds += 13 * 86_400 + 3_607
        }
    }
}
