import AutocertStorage
import AutocertTestSupport
import Foundation
import Testing

extension StorageConformanceTests {
    @Test("every subscriber, of this instance and of another, hears the names put and deleted", arguments: StorageKind.observable)
    func changesReachEverySubscriber(_ kind: StorageKind) async throws {
        try await StorageFixture.with(kind) { fixture in
            let writer = try #require(fixture.storage as? any ObservableStorage)
            let reader = try #require(fixture.other as? any ObservableStorage)
            let heard = [Locked<[String]>([]), Locked<[String]>([])]
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, stream) in [writer.changes(), reader.changes()].enumerated() {
                    group.addTask {
                        for await name in stream { heard[index].withLock { $0.append(name) } }
                    }
                }
                defer { group.cancelAll() }
                try await writer.put("example.test", [1])
                try await writer.put("ocsp-1", [2])
                try await writer.delete("example.test")
                try await Poll.until("both subscribers to hear three changes") {
                    heard.allSatisfy { $0.withLock { $0.count } >= 3 }
                }
            }
            for subscriber in heard {
                #expect(subscriber.withLock { $0 } == ["example.test", "ocsp-1", "example.test"])
            }
        }
    }
}
