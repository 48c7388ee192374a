import Normalizer
import Testing

@Suite("Strict JSON parser")
struct JSONParserTests {
    let parser = JSONParser(maxDepth: 8)

    func parse(_ text: String) throws -> JSONValue {
        try parser.parse(Array(text.utf8))
    }

    @Test func parsesEveryKindOfValue() throws {
        let value = try parse(#" {"a":[1,-2.5e3,true,false,null,"x"],"b":{"c":"d"}} "#)
        #expect(value["a"]?.array?.count == 6)
        #expect(value["a"]?.array?[1] == .number("-2.5e3"))
        #expect(value["b"]?["c"]?.string == "d")
        #expect(value.object?.keys == ["a", "b"])
    }

    @Test func keepsLargeIntegersExact() throws {
        let value = try parse(#"{"updatedAt":1420452224764002246}"#)
        #expect(value["updatedAt"]?.int64 == 1_420_452_224_764_002_246)
        #expect(value["updatedAt"] == .number("1420452224764002246"))
    }

    @Test func decodesEscapesAndSurrogatePairs() throws {
        #expect(try parse(#""caf\u00e9 \ud83d\ude80 \"q\" \\ \/ \n""#) == .string("café 🚀 \"q\" \\ / \n"))
    }

    @Test func toleratesAByteOrderMark() throws {
        #expect(try parser.parse([0xEF, 0xBB, 0xBF] + Array("{}".utf8)) == .object(JSONObject()))
    }

    @Test func acceptsDuplicateKeysWithTheSameValue() throws {
        #expect(try parse(#"{"a":1,"a":1}"#)["a"] == .number("1"))
    }

    @Test(arguments: [
        "NaN", "Infinity", "-Infinity", #"{"a":NaN}"#, "{} x", "{}{}", #"{"a":1,"a":2}"#, "01", "1.", ".5", "+1",
        "[1,]",
        #"{"a":1,}"#, "{'a':1}", "\"unterminated", "\"tab\there\"", #""\ud800""#, #""\udc00x""#, #""\x""#, "", "   ",
        "tru", "nul",
    ])
    func rejects(_ text: String) {
        #expect(throws: JSONParser.Failure.self, "\(text)") { try parse(text) }
    }

    @Test func rejectsInvalidUTF8() {
        #expect(throws: JSONParser.Failure.self) { try parser.parse([0x22, 0xC3, 0x28, 0x22]) }
        #expect(throws: JSONParser.Failure.self) { try parser.parse([0x22, 0xFF, 0x22]) }
    }

    @Test func nestingBeyondTheLimitIsMarkedTooDeep() {
        let deep = String(repeating: "[", count: 9) + String(repeating: "]", count: 9)
        do {
            _ = try parse(deep)
            Issue.record("expected a failure")
        } catch {
            #expect((error as? JSONParser.Failure)?.tooDeep == true)
        }
        #expect((try? parse(String(repeating: "[", count: 8) + String(repeating: "]", count: 8))) != nil)
    }

    @Test func writerEscapesAndRoundTrips() throws {
        let original = JSONValue.object(
            JSONObject([
                ("z", .string("line\nbreak \"quoted\" \u{01} é")), ("a", .array([.number("1"), .bool(true), .null])),
            ])
        )
        let text = JSONWriter.string(original)
        #expect(text == #"{"z":"line\nbreak \"quoted\" \u0001 é","a":[1,true,null]}"#)
        #expect(try parser.parse(Array(text.utf8)) == original)
        #expect(JSONWriter.string(original, sortedKeys: true).hasPrefix(#"{"a":"#))
    }
}
