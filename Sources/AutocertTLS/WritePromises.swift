import NIOCore

/// The promises of application writes that go out in one ciphertext write, oldest first.
///
/// One promise (the usual case: a response's last write) costs nothing more; several are
/// completed in the order they were written by one callback on a promise made for the
/// ciphertext write, as swift-nio-ssl does.
struct WritePromises {
    private var first: EventLoopPromise<Void>?
    private var rest: [EventLoopPromise<Void>] = []

    var isEmpty: Bool { first == nil }

    mutating func append(_ promise: EventLoopPromise<Void>?) {
        guard let promise else { return }
        if first == nil { first = promise } else { rest.append(promise) }
    }

    /// One promise for all of them (nil when there are none), and empties the list.
    mutating func take(on eventLoop: any EventLoop) -> EventLoopPromise<Void>? {
        guard let first = first.take() else { return nil }
        guard !rest.isEmpty else { return first }
        let all = [first] + rest
        rest = []
        let combined = eventLoop.makePromise(of: Void.self)
        combined.futureResult.whenComplete { result in
            for promise in all { promise.completeWith(result) }
        }
        return combined
    }

    /// Fails every promise, oldest first, and empties the list.
    mutating func fail(_ error: any Error) {
        guard let first = first.take() else { return }
        let rest = self.rest
        self.rest = []
        first.fail(error)
        for promise in rest { promise.fail(error) }
    }
}
