@testable import Autocert
import Foundation
import Testing

@Suite("Renewal schedule")
struct ScheduleTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    @Test("plans come out in due order; a replaced plan's old time is ignored; running plans are not taken twice")
    func order() {
        var schedule = Schedule()
        for (index, name) in ["c", "a", "d", "b"].enumerated() {
            schedule.set(name, Schedule.Plan(due: start.addingTimeInterval(Double([30, 10, 40, 20][index]))))
        }
        schedule.set("d", Schedule.Plan(due: start.addingTimeInterval(5)))
        #expect(schedule.nextDue() == start.addingTimeInterval(5))
        #expect(schedule.takeDue(now: start.addingTimeInterval(20)).map(\.0) == ["d", "a", "b"])
        #expect(schedule.nextDue() == start.addingTimeInterval(30))
        #expect(schedule.takeDue(now: start.addingTimeInterval(100)).map(\.0) == ["c"])
        #expect(schedule.takeDue(now: start.addingTimeInterval(1000)).isEmpty, "d's old plan at 40 is stale")
        #expect(schedule.nextDue() == nil)
        schedule.remove("a")
        #expect(schedule.plans["a"] == nil)
    }

    @Test("100,000 plans: each change and each take is cheap (a heap, not a scan)")
    func scale() {
        var schedule = Schedule()
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            for index in 0..<100_000 {
                schedule.set("host\(index)", Schedule.Plan(due: start.addingTimeInterval(Double((index * 7919) % 100_000))))
                _ = schedule.nextDue()
            }
        }
        #expect(schedule.takeDue(now: start.addingTimeInterval(99)).count == 100)
        #expect(elapsed < .seconds(10), "\(elapsed)")
    }
}
