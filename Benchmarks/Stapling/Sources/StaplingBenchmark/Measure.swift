import CMallocInfo
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Process memory as the kernel and the allocator see it.
struct MemorySample {
    /// Resident set size (/proc/self/statm), bytes.
    let rss: Int
    /// Bytes handed out by malloc and not freed (mallinfo2().uordblks).
    let mallocInUse: Int

    static func now() -> MemorySample {
        #if canImport(Glibc)
        let inUse = CMallocInfo_inUse()
        let statm = (try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8)) ?? "0 0"
        let pages = Int(statm.split(separator: " ")[1]) ?? 0
        return MemorySample(rss: pages * Int(sysconf(Int32(_SC_PAGESIZE))), mallocInUse: Int(inUse))
        #else
        return MemorySample(rss: 0, mallocInUse: 0)
        #endif
    }
}

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

func format(_ value: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", value) }

/// Runs `body` over `0..<count` on `width` concurrent tasks, in order within each task.
func concurrently(_ count: Int, width: Int, _ body: @escaping @Sendable (Int) async throws -> Void) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        for lane in 0..<width {
            group.addTask {
                var index = lane
                while index < count {
                    try await body(index)
                    index += width
                }
            }
        }
        try await group.waitForAll()
    }
}

/// CPU seconds (user + system) this process has used so far.
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
}

/// The 1-minute load average (other processes compete for the cores on shared machines).
func loadAverage() -> String {
    ((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "?").split(separator: " ").first.map(String.init) ?? "?"
}
