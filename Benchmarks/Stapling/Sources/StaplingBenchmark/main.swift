import AutocertOCSP
import AutocertStapling
import AutocertStorage
import Foundation
import Logging
import Synchronization
import X509

// The stapling scale benchmark: see docs/benchmarks/stapling-scale.md.
//
// 1. Makes N certificates of one CA and a `good` response for each, and persists the
//    responses as a previous run of the manager would have (DirectoryStorage layout).
// 2. Warm start: a new manager adds the N certificates; each add reads the persisted
//    staple, re-verifies it (signature, CertID, times) and serves it. Timed, and memory
//    sampled before and after (RSS and malloc in-use bytes).
// 3. The handshake-path lookup, `staple(for:)`, timed in batches.

func runBenchmark() async throws {
    let arguments = CommandLine.arguments
    func option(_ name: String, _ fallback: Int) -> Int {
        guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count, let value = Int(arguments[index + 1]) else { return fallback }
        return value
    }
    let count = option("--count", 100_000)
    let width = option("--width", max(2, ProcessInfo.processInfo.activeProcessorCount * 2))
    let clock = ContinuousClock()
    let now = Date()
    print("# layout: Certificate \(MemoryLayout<Certificate>.size) B inline, OCSPSubject \(MemoryLayout<OCSPSubject>.size) B inline")
    print("# stapling-benchmark: \(count) certificates, \(ProcessInfo.processInfo.activeProcessorCount) cores, width \(width)")

    // MARK: 1. Fleet

    var start = clock.now
    let fleet = try Fleet(now: now)
    let chunk = 1_000
    let made = try await withThrowingTaskGroup(of: (Int, [(Certificate, [UInt8])]).self) { group in
        var results: [Int: [(Certificate, [UInt8])]] = [:]
        var next = 0
        func submit() {
            guard next < count else { return }
            let base = next
            next += chunk
            group.addTask {
                var out: [(Certificate, [UInt8])] = []
                for index in base..<min(base + chunk, count) {
                    let leaf = try fleet.leaf(index, now: now)
                    let subject = try OCSPSubject(certificate: leaf, issuer: fleet.ca)
                    out.append((leaf, try fleet.response(for: subject, thisUpdate: now.addingTimeInterval(-600))))
                }
                return (base, out)
            }
        }
        for _ in 0..<ProcessInfo.processInfo.activeProcessorCount { submit() }
        while let (base, out) = try await group.next() {
            results[base] = out
            submit()
        }
        return results.keys.sorted().flatMap { results[$0]! }
    }
    print("setup: \(count) certificates and responses made in \(format((clock.now - start).seconds)) s")

    // What a TLS server holds anyway: each chain as DER (the manager shares these arrays).
    let issuerDER = StapleID.derForBenchmark(fleet.ca)
    let leafDERs = made.map { StapleID.derForBenchmark($0.0) }
    defer { withExtendedLifetime(made) {} }
    start = clock.now
    for index in 0..<min(count, 10_000) {
        _ = try OCSPSubject(certificate: made[index].0, issuerDER: issuerDER)
    }
    let subjectSeconds = (clock.now - start).seconds / Double(min(count, 10_000))
    print("reference: OCSPSubject(certificate:issuerDER:) (parse, verify the issuer's signature) costs \(format(subjectSeconds * 1e6, 1)) µs, one core")

    let directory = FileManager.default.temporaryDirectory.path + "/stapling-benchmark-\(getpid())"
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let storage = try DirectoryStorage(path: directory)
    var stapleBytes = 0
    var idList: [StapleID] = []
    for (index, (leaf, der)) in made.enumerated() {
        let id = StapleID(certificate: leaf)
        idList.append(id)
        stapleBytes += der.count
        // Setup only: written without fsync (DirectoryStorage.put fsyncs each file).
        guard FileManager.default.createFile(atPath: "\(directory)/ocsp-\(id.hex)", contents: Data(der)) else {
            fatalError("could not write staple \(index)")
        }
    }
    let ids = idList
    let averageStaple = Double(stapleBytes) / Double(count)
    print("setup: \(count) staples persisted in \(directory) (average \(format(averageStaple, 0)) bytes)")

    // MARK: 2. Warm start and memory

    var logger = Logger(label: "stapling-benchmark")
    logger.logLevel = .error
    let manager = StaplingManager(storage: storage, logger: logger)
    let before = MemorySample.now()
    let cpuBefore = cpuSeconds()
    let loadBefore = loadAverage()
    start = clock.now
    try await concurrently(count, width: width) { index in
        try await manager.add(leafDER: leafDERs[index], issuerDER: issuerDER)
    }
    let warmSeconds = (clock.now - start).seconds
    let warmCPU = cpuSeconds() - cpuBefore
    let after = withExtendedLifetime(leafDERs) { MemorySample.now() }
    let served = ids.reduce(0) { $0 + (manager.staple(for: $1) == nil ? 0 : 1) }
    precondition(served == count, "only \(served) of \(count) staples are served after the warm start")
    let mallocPerCertificate = Double(after.mallocInUse - before.mallocInUse - stapleBytes) / Double(count)
    let rssPerCertificate = Double(after.rss - before.rss - stapleBytes) / Double(count)
    print("warm start (add(leafDER:issuerDER:): parse, check the chain, read, re-verify, serve): \(count) staples in \(format(warmSeconds)) s (\(format(warmSeconds / Double(count) * 1e6, 1)) µs each)")
    print("warm start CPU: \(format(warmCPU)) s of CPU (\(format(warmCPU / Double(count) * 1e6, 1)) µs per certificate; \(format(warmCPU / Double(ProcessInfo.processInfo.activeProcessorCount))) s on \(ProcessInfo.processInfo.activeProcessorCount) idle cores); load average \(loadBefore) before, \(loadAverage()) after")
    print("memory: malloc in use +\(after.mallocInUse - before.mallocInUse) B, RSS +\(after.rss - before.rss) B for \(count) certificates")
    print("memory per certificate beyond the staple bytes: \(format(mallocPerCertificate, 0)) B (malloc), \(format(rssPerCertificate, 0)) B (RSS)")

    // MARK: 3. Handshake-path lookup

    @Sendable func lookupBatches(_ manager: StaplingManager, among ids: [StapleID], batches: Int, size: Int, seed: Int) -> [Double] {
        var generator = SystemRandomNumberGenerator()
        let order = (0..<size * 16).map { _ in ids[Int.random(in: 0..<ids.count, using: &generator)] }
        var perLookup: [Double] = []
        perLookup.reserveCapacity(batches)
        var found = 0
        for batch in 0..<batches {
            let offset = (batch * size + seed) % (order.count - size)
            let begin = ContinuousClock.now
            for index in offset..<(offset + size) {
                if manager.staple(for: order[index]) != nil { found += 1 }
            }
            perLookup.append(Double((ContinuousClock.now - begin).components.attoseconds) / 1e9 / Double(size)
                + Double((ContinuousClock.now - begin).components.seconds) * 1e9 / Double(size))
        }
        precondition(found == batches * size)
        return perLookup.sorted()
    }

    let systemClock = SystemStaplingClock()
    var coarseSink = 0.0
    let coarseStart = clock.now
    for _ in 0..<1_000_000 { coarseSink += systemClock.handshakeNow.timeIntervalSinceReferenceDate }
    print("reference: SystemStaplingClock.handshakeNow costs \(format((clock.now - coarseStart).seconds * 1e3, 1)) ns per call (\(coarseSink > 0 ? "ok" : "?"))")
    var dateSink = 0.0
    let dateStart = clock.now
    for _ in 0..<1_000_000 { dateSink += Date().timeIntervalSinceReferenceDate }
    print("reference: Date() costs \(format((clock.now - dateStart).seconds * 1e3, 1)) ns per call (\(dateSink > 0 ? "ok" : "?"))")
    let hot = Array(ids.shuffled().prefix(1_000))
    let hotBatches = lookupBatches(manager, among: hot, batches: 2_000, size: 1_000, seed: 0)
    print("lookup, one thread, 1,000 hot certificates: median \(format(hotBatches[hotBatches.count / 2], 1)) ns, p99 \(format(hotBatches[hotBatches.count * 99 / 100], 1)) ns")
    let single = lookupBatches(manager, among: ids, batches: 2_000, size: 1_000, seed: 0)
    print("lookup, one thread, uniform over all: median \(format(single[single.count / 2], 1)) ns, p99 \(format(single[single.count * 99 / 100], 1)) ns (per lookup, 2,000 batches of 1,000)")
    let contended = await withTaskGroup(of: [Double].self) { group in
        for lane in 0..<2 {
            group.addTask { lookupBatches(manager, among: ids, batches: 2_000, size: 1_000, seed: lane * 7_919) }
        }
        var all: [Double] = []
        for await lane in group { all += lane }
        return all.sorted()
    }
    print("lookup, two threads at once, uniform over all: median \(format(contended[contended.count / 2], 1)) ns, p99 \(format(contended[contended.count * 99 / 100], 1)) ns")
}

try await runBenchmark()
