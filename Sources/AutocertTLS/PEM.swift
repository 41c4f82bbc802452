/// A minimal PEM reader (RFC 7468): labelled Base64 blocks.
package enum PEM {
    package struct Block: Sendable {
        package var label: String
        package var der: [UInt8]
    }

    /// Every `-----BEGIN X-----` … `-----END X-----` block in `text`, in order.
    package static func blocks(in text: String) throws(TLSBackendError) -> [Block] {
        var blocks: [Block] = []
        var label: String?
        var body = ""
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: " \t\r")
            if line.hasPrefix("-----BEGIN "), line.hasSuffix("-----") {
                label = String(line.dropFirst(11).dropLast(5))
                body = ""
            } else if line.hasPrefix("-----END "), let current = label {
                guard let der = base64Decode(body) else {
                    throw TLSBackendError(.invalidCertifiedKey, "the PEM block \(current) is not valid Base64")
                }
                blocks.append(Block(label: current, der: der))
                label = nil
            } else if label != nil, !line.contains(":") {
                body += line
            }
        }
        return blocks
    }

    /// Decodes standard Base64 with padding; nil when malformed.
    package static func base64Decode(_ text: String) -> [UInt8]? {
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        for byte in text.utf8 {
            let value: UInt32
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = UInt32(byte - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = UInt32(byte - UInt8(ascii: "a") + 26)
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = UInt32(byte - UInt8(ascii: "0") + 52)
            case UInt8(ascii: "+"): value = 62
            case UInt8(ascii: "/"): value = 63
            case UInt8(ascii: "="): continue
            default: return nil
            }
            accumulator = (accumulator << 6) | value
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        return output
    }
}

extension StringProtocol {
    /// The text without the leading and trailing characters in `set`, in time linear in what
    /// is trimmed. (Not `dropLast()`: without an argument it is `Collection`'s, which counts
    /// the whole slice on every call, so a line ending in n blanks took n² steps.)
    fileprivate func trimmingCharacters(in set: String) -> Substring {
        let slice = Substring(self)
        var start = slice.startIndex
        var end = slice.endIndex
        while start < end, set.contains(slice[start]) { slice.formIndex(after: &start) }
        while start < end, set.contains(slice[slice.index(before: end)]) { slice.formIndex(before: &end) }
        return slice[start..<end]
    }
}
