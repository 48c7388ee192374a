#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Converts bytes in a mail charset to a Swift string, never failing: malformed bytes become U+FFFD.
///
/// Labels are mapped to the superset senders really use (the WHATWG Encoding Standard's table, widened): `iso-8859-1`
/// and `us-ascii` to
/// windows-1252, GB2312/GBK to GB18030, EUC-KR to CP949, Shift_JIS to CP932. Conversion goes through glibc's
/// iconv, which is pure computation.
enum Charset {
    /// The iconv name for a charset label, or `nil` for labels that mean "unknown".
    static func decoderName(for label: String) -> String? {
        let normalized = label.trimmingWhitespace().lowercased().filter { $0 != "\"" && $0 != "'" }
        switch normalized {
        case "", "unknown-8bit", "x-user-defined", "unknown": return nil
        case "utf-8", "utf8", "unicode-1-1-utf-8": return "UTF-8"
        case "iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "us-ascii", "ascii", "ansi_x3.4-1968",
            "windows-1252", "cp1252",
            "cp-1252", "x-cp1252":
            return "WINDOWS-1252"
        case "gb2312", "gb_2312-80", "gbk", "x-gbk", "cp936", "gb18030", "euc-cn": return "GB18030"
        case "euc-kr", "ks_c_5601-1987", "korean", "cp949", "uhc": return "CP949"
        case "shift_jis", "shift-jis", "sjis", "x-sjis", "ms932", "cp932", "windows-31j": return "CP932"
        case "iso-2022-jp": return "ISO-2022-JP"
        case "utf-7", "unicode-1-1-utf-7": return "UTF-7"
        case "x-mac-roman", "macintosh", "mac": return "MACINTOSH"
        case "iso-8859-8-i": return "ISO-8859-8"
        case "big5", "big-5", "cn-big5": return "BIG5"
        case "big5-hkscs": return "BIG5-HKSCS"
        default: return normalized.uppercased()
        }
    }

    /// Decodes `bytes` labelled `label`.
    /// - Parameters:
    ///   - fallback: the route's charset for bytes that are neither labelled nor valid UTF-8.
    ///   - guessed: set to `true` when the label was missing or unknown and the charset had to be guessed.
    static func decode(_ bytes: some Collection<UInt8>, label: String?, fallback: String, guessed: inout Bool) -> String
    {
        let bytes = Array(bytes)
        let name = label.flatMap(decoderName(for:))
        // 7-bit stateful encodings (ISO-2022-*, UTF-7) look like ASCII but are not.
        let stateful = name.map { $0.hasPrefix("ISO-2022") || $0 == "UTF-7" || $0 == "HZ-GB-2312" } ?? false
        if !stateful, bytes.allSatisfy({ $0 < 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
        if name == "UTF-8" {
            // Declared UTF-8: stray malformed bytes become U+FFFD, the rest stays readable.
            return String(decoding: bytes, as: UTF8.self)
        }
        if name == nil {
            if let valid = String(validating: bytes, as: UTF8.self) { return valid }
            guessed = true
            return convert(bytes, from: decoderName(for: fallback) ?? "WINDOWS-1252")
                ?? String(decoding: bytes, as: UTF8.self)
        }
        if let converted = convert(bytes, from: name!) {
            if name == "ISO-2022-JP", converted.contains("\u{FFFD}"), let nec = iso2022JPThroughEUCJPMS(bytes) {
                return nec
            }
            return converted
        }
        // A label iconv does not know: UTF-8 if it is valid, else the fallback.
        guessed = true
        if let valid = String(validating: bytes, as: UTF8.self) { return valid }
        return convert(bytes, from: decoderName(for: fallback) ?? "WINDOWS-1252")
            ?? String(decoding: bytes, as: UTF8.self)
    }

    /// Converts with iconv; `nil` when iconv does not know the charset. Malformed input becomes U+FFFD: on `EILSEQ`
    /// one byte is skipped (glibc's `//IGNORE` still reports failure).
    static func convert(_ bytes: [UInt8], from charset: String) -> String? {
        let descriptor = iconv_open("UTF-8", charset)
        guard descriptor != iconv_t(bitPattern: -1) else { return nil }
        defer { iconv_close(descriptor) }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count * 2)
        var input = bytes
        let replacement: [UInt8] = [0xEF, 0xBF, 0xBD]
        var chunk = [CChar](repeating: 0, count: 4096)
        input.withUnsafeMutableBufferPointer { inputBuffer in
            var inPointer = UnsafeMutableRawPointer(inputBuffer.baseAddress).map {
                $0.assumingMemoryBound(to: CChar.self)
            }
            var inLeft = inputBuffer.count
            while inLeft > 0 {
                let (result, produced, error) = chunk.withUnsafeMutableBufferPointer {
                    outputBuffer -> (Int, Int, Int32) in
                    var outPointer = outputBuffer.baseAddress
                    var outLeft = outputBuffer.count
                    let result = iconv(descriptor, &inPointer, &inLeft, &outPointer, &outLeft)
                    return (result, outputBuffer.count - outLeft, result == -1 ? errno : 0)
                }
                output.append(contentsOf: chunk[0..<produced].map { UInt8(bitPattern: $0) })
                if result != -1 { break }
                switch error {
                case E2BIG: continue
                case EILSEQ, EINVAL:
                    output.append(contentsOf: replacement)
                    inPointer = inPointer?.advanced(by: 1)
                    inLeft -= 1
                    _ = iconv(descriptor, nil, nil, nil, nil)  // reset the shift state
                default:
                    output.append(contentsOf: replacement)
                    inLeft = 0
                }
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// ISO-2022-JP with NEC extensions (①…), which no glibc ISO-2022-JP variant decodes: walk the escape states
    /// and feed JIS X 0208 pairs + 0x8080 to EUC-JP-MS, which knows them.
    static func iso2022JPThroughEUCJPMS(_ bytes: [UInt8]) -> String? {
        enum Mode { case ascii, jisx0208, katakana }
        var mode = Mode.ascii
        var euc: [UInt8] = []
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x1B, index + 2 < bytes.count {
                switch (bytes[index + 1], bytes[index + 2]) {
                case (0x24, 0x42), (0x24, 0x40): mode = .jisx0208
                case (0x28, 0x42), (0x28, 0x4A): mode = .ascii
                case (0x28, 0x49): mode = .katakana
                default: break
                }
                index += 3
                continue
            }
            switch mode {
            case .ascii:
                euc.append(byte)
                index += 1
            case .katakana:
                euc += [0x8E, byte | 0x80]
                index += 1
            case .jisx0208:
                if byte == 0x0A || byte == 0x0D {
                    euc.append(byte)
                    index += 1
                } else if index + 1 < bytes.count {
                    euc += [byte | 0x80, bytes[index + 1] | 0x80]
                    index += 2
                } else {
                    index += 1
                }
            }
        }
        return convert(euc, from: "EUC-JP-MS")
    }
}
