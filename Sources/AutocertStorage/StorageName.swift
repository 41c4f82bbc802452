/// The names every store of this package accepts: 1–200 of A–Z a–z 0–9 `.` `-` `_` `+`, not
/// starting with `.` (which could hide a file, or name `.` and `..`).
package enum StorageName {
    /// Whether `name` is one of them.
    package static func isValid(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 200, name.utf8.first != UInt8(ascii: ".") else { return false }
        return name.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "+"):
                true
            default:
                false
            }
        }
    }

    /// The error for `name`, which is not one of them; `kind` says what it was to name ("blob", "lock").
    package static func invalid(_ name: String, kind: String) -> StorageError {
        StorageError(.invalidName, "'\(name)' is not a storable \(kind) name (1–200 of A–Z a–z 0–9 . - _ +, not starting with '.')")
    }
}
