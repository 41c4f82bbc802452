/// Runs work over many inputs with at most `limit` at once, keeping input order.
enum BoundedConcurrency {
    static func map<Input: Sendable, Output: Sendable>(
        _ inputs: [Input],
        limit: Int,
        _ body: @escaping @Sendable (Input) async -> Output
    ) async -> [Output] {
        await withTaskGroup(of: (Int, Output).self) { group in
            var results = [Output?](repeating: nil, count: inputs.count)
            var next = 0
            for _ in 0..<min(limit, inputs.count) {
                let index = next
                group.addTask { (index, await body(inputs[index])) }
                next += 1
            }
            while let (index, output) = await group.next() {
                results[index] = output
                if next < inputs.count {
                    let index = next
                    group.addTask { (index, await body(inputs[index])) }
                    next += 1
                }
            }
            return results.map { $0! }
        }
    }
}
