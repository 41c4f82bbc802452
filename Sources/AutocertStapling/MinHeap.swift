/// A binary min-heap: the stapler's queue of (due time, certificate) items, and the
/// autocert Manager's queue of renewal plans.
package struct MinHeap<Element: Comparable> {
    package private(set) var items: [Element] = []

    package init() {}

    package var isEmpty: Bool { items.isEmpty }
    package var count: Int { items.count }
    package var min: Element? { items.first }

    package mutating func insert(_ element: Element) {
        items.append(element)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child] < items[parent] else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    @discardableResult
    package mutating func popMin() -> Element? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let minimum = items.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < items.count, items[left] < items[smallest] { smallest = left }
            if right < items.count, items[right] < items[smallest] { smallest = right }
            if smallest == parent { break }
            items.swapAt(parent, smallest)
            parent = smallest
        }
        return minimum
    }
}

extension MinHeap: Sendable where Element: Sendable {}

/// One thing the scheduler must do at `due`.
struct ScheduledItem: Comparable {
    enum Kind {
        /// Fetch a response (first fetch, refresh, or retry); valid while the entry's
        /// scheduleGeneration equals `generation`.
        case fetch
        /// Drop the served staple when it reaches its end; valid while the entry's
        /// stapleGeneration equals `generation`.
        case expire
    }

    let due: Double
    let order: UInt64
    let id: StapleID
    let kind: Kind
    let generation: UInt32

    static func < (lhs: ScheduledItem, rhs: ScheduledItem) -> Bool {
        lhs.due < rhs.due || (lhs.due == rhs.due && lhs.order < rhs.order)
    }

    static func == (lhs: ScheduledItem, rhs: ScheduledItem) -> Bool {
        lhs.due == rhs.due && lhs.order == rhs.order
    }
}
