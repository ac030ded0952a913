import Testing
@testable import StepwiseCore

@Suite struct JSONParserTests {
    @Test func parsesNestedDocumentsInKeyOrder() throws {
        let value = try JSONParser.parse(#"{"b": [1, 2.5, -3e2, true, false, null], "a": {"x": "y"}}"#)
        guard case .object(let object) = value else { Issue.record("not an object"); return }
        #expect(object.keys == ["b", "a"])
        #expect(object["b"] == .array([.number(1), .number(2.5), .number(-300), .bool(true), .bool(false), .null]))
        #expect(object["a"] == .object(JSONObject(keys: ["x"], values: [.string("y")])))
    }

    @Test func decodesEscapesAndSurrogatePairs() throws {
        #expect(try JSONParser.parse(#""a\"b\\c\/d\n\t\u00e9\ud83d\ude00""#) == .string("a\"b\\c/d\n\té😀"))
    }

    @Test(arguments: [
        (#"{"a": 1"#, "unexpected end of input in object"),
        (#"{"a" 1}"#, "expected ':' after key"),
        (#"[1, 2,]"#, "unexpected character ']'"),
        (#"01"#, "leading zero in number"),
        (#""\ud800""#, "unpaired surrogate in \u{5C}u escape"),
        ("\"a\nb\"", "control character in string"),
        (#"{} x"#, "unexpected data after the JSON value"),
        (#"tru"#, "unexpected end of input"),
    ])
    func rejectsMalformedInputWithAReason(text: String, reason: String) {
        #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(text) }
        do {
            _ = try JSONParser.parse(text)
        } catch {
            #expect(error.reason == reason)
        }
    }

    @Test func refusesNestingBeyondTheDepthLimit() {
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(deep) }
        let fine = String(repeating: "[", count: 60) + String(repeating: "]", count: 60)
        #expect((try? JSONParser.parse(fine)) != nil)
    }

    @Test func writerRoundTripsThroughTheParser() throws {
        let text = #"{"s":"q\"uote\\ \n","n":49,"f":0.5,"b":true,"z":null,"a":[1,"x"]}"#
        let value = try JSONParser.parse(text)
        #expect(JSONWriter.write(value) == text)
    }

    /// The byte writer (ClickHouse rows) escapes exactly as the text writer does.
    @Test func byteWriterEscapesAsTheTextWriter() throws {
        for text in ["", "plain", "q\"uote", "back\\slash", "line\nfeed\r\ttab", "\u{01}\u{1f}ctl", "ünïcödé €", "a\"\\\n\u{7}z", "🙂\"🙂"] {
            var string = "", bytes: [UInt8] = []
            JSONWriter.writeString(text, into: &string)
            JSONWriter.writeString(text, into: &bytes)
            #expect(String(decoding: bytes, as: UTF8.self) == string, "\(text)")
            #expect(try JSONParser.parse(string) == .string(text))
        }
    }
}
