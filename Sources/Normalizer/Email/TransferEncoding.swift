/// Undoes MIME transfer encodings leniently, as real mail needs: base64 with missing
/// padding, spaces or long lines; quoted-printable with lowercase hex or a stray `=`.
enum TransferEncoding {
    private static let base64Values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, byte) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() {
            table[Int(byte)] = UInt8(index)
        }
        // The URL-safe alphabet, which some senders use.
        table[Int(UInt8(ascii: "-"))] = 62
        table[Int(UInt8(ascii: "_"))] = 63
        return table
    }()

    /// Base64, ignoring every byte outside the alphabet and tolerating missing padding.
    static func base64(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        for byte in bytes {
            if byte == UInt8(ascii: "=") { break }
            let value = base64Values[Int(byte)]
            if value == 0xFF { continue }
            accumulator = accumulator << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        return output
    }

    /// Quoted-printable (RFC 2045 §6.7): `=XX` in either case, soft line breaks; a `=` not followed by hex is kept.
    /// - Parameter header: the RFC 2047 "Q" variant, where `_` means a space.
    static func quotedPrintable(_ bytes: some Collection<UInt8>, header: Bool = false) -> [UInt8] {
        let input = Array(bytes)
        var output: [UInt8] = []
        output.reserveCapacity(input.count)
        var index = 0
        func hex(_ byte: UInt8) -> UInt8? {
            switch byte {
            case 0x30...0x39: byte - 0x30
            case 0x41...0x46: byte - 0x41 + 10
            case 0x61...0x66: byte - 0x61 + 10
            default: nil
            }
        }
        while index < input.count {
            let byte = input[index]
            guard byte == UInt8(ascii: "=") else {
                output.append(header && byte == UInt8(ascii: "_") ? 0x20 : byte)
                index += 1
                continue
            }
            if index + 2 < input.count, let high = hex(input[index + 1]), let low = hex(input[index + 2]) {
                output.append(high << 4 | low)
                index += 3
                continue
            }
            // Soft line break: `=`, optional trailing spaces, then CRLF or LF (or the end of the text).
            var look = index + 1
            while look < input.count, input[look] == 0x20 || input[look] == 0x09 { look += 1 }
            if look < input.count, input[look] == 0x0D { look += 1 }
            if look == input.count || input[look] == 0x0A {
                index = min(look + 1, input.count)
                continue
            }
            // A `=` that starts nothing valid is kept literally.
            output.append(byte)
            index += 1
        }
        return output
    }

    /// Decodes a part body by its `Content-Transfer-Encoding`; unknown encodings are treated as opaque bytes.
    static func decode(_ body: ArraySlice<UInt8>, encoding: String?) -> [UInt8] {
        switch encoding?.trimmingWhitespace().lowercased() {
        case "base64", "base-64": base64(body)
        case "quoted-printable": quotedPrintable(body)
        default: Array(body)
        }
    }
}
