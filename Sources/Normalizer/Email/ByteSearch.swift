#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Searches in mail bytes through the C library's `memchr`: pure computation, and several times faster
/// than a byte-by-byte loop over a slice on the paths every mail takes (the labelled body lines, the plain-text DSN
/// check).
extension UnsafeBufferPointer<UInt8> {
    /// The index of the first `byte` at or after `start`, or `nil`.
    func firstIndex(of byte: UInt8, from start: Int) -> Int? {
        guard let base = baseAddress, start < count else { return nil }
        guard let found = memchr(base + start, Int32(byte), count - start) else { return nil }
        return UnsafeRawPointer(found) - UnsafeRawPointer(base)
    }

    /// Whether the UTF-8 bytes of `text` occur in these bytes.
    func contains(text: String) -> Bool {
        let needle = Array(text.utf8)
        guard let first = needle.first else { return true }
        let last = count - needle.count
        var start = 0
        while start <= last, let next = firstIndex(of: first, from: start), next <= last {
            if self[next..<(next + needle.count)].elementsEqual(needle) { return true }
            start = next + 1
        }
        return false
    }
}
