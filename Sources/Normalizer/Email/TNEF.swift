/// The little of Microsoft's TNEF (`winmail.dat`, `application/ms-tnef`) needed to tell what a message is: its
/// message class (`attMessageClass`), which Exchange and Outlook set to `REPORT.IPM.Note.IPNRN` for a read receipt,
/// `REPORT.IPM.Note.NDR` for a non-delivery report and `IPM.Note.Rules.OofTemplate.Microsoft` for an out-of-office
/// reply, whatever the subject's language ([MS-OXTNEF] §2.1.3;
/// https://learn.microsoft.com/openspecs/exchange_server_protocols/ms-oxtnef).
enum TNEF {
    /// `TNEF_SIGNATURE` 0x223E9F78, little-endian.
    private static let signature: [UInt8] = [0x78, 0x9F, 0x3E, 0x22]
    /// `attMessageClass`: attribute id 0x8008 with type `atpString` (0x0007).
    private static let messageClassAttribute: UInt32 = 0x0007_8008
    /// Attributes read at most before giving up; the message class comes near the start.
    private static let maxAttributes = 64

    /// The message class of a TNEF stream, or `nil` when the bytes are no TNEF or do not name one.
    static func messageClass(_ bytes: [UInt8]) -> String? {
        guard bytes.count > 6, Array(bytes[0..<4]) == signature else { return nil }
        var index = 6  // signature, then the 16-bit key
        for _ in 0..<maxAttributes {
            // level (1) + attribute (4) + length (4), data, checksum (2)
            guard index + 9 <= bytes.count else { return nil }
            let attribute = littleEndian(bytes, at: index + 1)
            let length = Int(littleEndian(bytes, at: index + 5))
            let start = index + 9
            guard length >= 0, length <= bytes.count - start else { return nil }
            if bytes[index] == 0x01, attribute == messageClassAttribute {
                let text = bytes[start..<(start + length)].prefix { $0 != 0 }
                return String(decoding: text, as: UTF8.self)
            }
            index = start + length + 2
        }
        return nil
    }

    private static func littleEndian(_ bytes: [UInt8], at index: Int) -> UInt32 {
        UInt32(bytes[index]) | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2]) << 16
            | UInt32(bytes[index + 3]) << 24
    }
}
