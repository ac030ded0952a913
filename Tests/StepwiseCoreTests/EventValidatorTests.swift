import Testing
@testable import StepwiseCore

@Suite struct EventValidatorTests {
    let now = Timestamp.parseRFC3339("2026-11-02T12:00:00Z")!
    let validator = EventValidator()

    func validate(_ json: String) -> Result<CanonicalEvent, EventRejection> {
        validator.validate(try! JSONParser.parse(json), now: now)
    }

    func rejection(_ json: String) -> EventRejection? {
        if case .failure(let rejection) = validate(json) { return rejection }
        return nil
    }

    /// The one-pass field reader and the documented list name the same fields: each is read
    /// into its own slot (a repeated key keeps its first value), and nothing else is accepted.
    @Test func everyKnownFieldIsReadAndNoOther() throws {
        for (k, name) in EventValidator.knownFields.sorted().enumerated() {
            let fields = try EventValidator.Fields(JSONObject(keys: [name, name], values: [.number(Double(k)), .number(-1)]))
            let slots = [fields.id, fields.site, fields.event, fields.visitor, fields.user, fields.timestamp, fields.url, fields.referrer,
                         fields.props, fields.revenue, fields.userAgent, fields.timezone, fields.webdriver]
            #expect(slots.compactMap { $0 } == [.number(Double(k))], "\(name)")
        }
        #expect(EventValidator.knownFields.count == 13)
        #expect(throws: EventRejection.self) { try EventValidator.Fields(JSONObject(keys: ["sitE"], values: [.null])) }
    }

    @Test func acceptsTheSpecExample() throws {
        let event = try validate("""
            {"id": "9f1c", "site": "shop.example", "event": "add_to_cart", "visitor": "v_3kq9", "user": "u_42",
             "timestamp": "2026-11-02T10:15:03.120Z", "url": "https://shop.example/product/17?utm_source=news",
             "referrer": "https://google.com/", "props": {"product_id": "17", "price": 49.0},
             "revenue": {"amount": 49.0, "currency": "AUD"}, "user_agent": "Mozilla/5.0 (iPhone)", "timezone": "Australia/Sydney"}
            """).get()
        #expect(event.id == "9f1c")
        #expect(event.name == "add_to_cart")
        #expect(event.user == "u_42")
        #expect(event.timestamp == 1_793_614_503_120)
        #expect(event.props["price"] == .number(49))
        #expect(event.revenue == Revenue(amount: 49, currency: "AUD"))
    }

    @Test func fillsAbsentTimestampWithNowAndTakesEpochMilliseconds() throws {
        #expect(try validate(#"{"site":"s","event":"e","visitor":"v"}"#).get().timestamp == now)
        #expect(try validate(#"{"site":"s","event":"e","visitor":"v","timestamp":1793614503120}"#).get().timestamp == 1_793_614_503_120)
    }

    @Test func allowsSegmentAndPostHogStyleNames() throws {
        #expect(try validate(#"{"site":"s","event":"Order Completed","visitor":"v"}"#).get().name == "Order Completed")
        #expect(try validate(#"{"site":"s","event":"$pageview","visitor":"v"}"#).get().name == "$pageview")
        #expect(try validate(#"{"site":"s","event":"a.b:c-d/e_f","visitor":"v"}"#).get().name == "a.b:c-d/e_f")
    }

    @Test func usesTheUserWhenNoVisitorIsGiven() throws {
        #expect(try validate(#"{"site":"s","event":"e","user":"u_1"}"#).get().visitor == "u_1")
    }

    @Test(arguments: [
        (#"{"event":"e","visitor":"v"}"#, EventRejection.Code.missingField, "site"),
        (#"{"site":"s","visitor":"v"}"#, .missingField, "event"),
        (#"{"site":"s","event":"e"}"#, .missingField, "visitor"),
        (#"{"site":"s","event":"e","visitor":"v","colour":"red"}"#, .unknownField, "colour"),
        (#"{"site":"s","event":"bad<name>","visitor":"v"}"#, .invalidEventName, "event"),
        (#"{"site":"s","event":"","visitor":"v"}"#, .invalidValue, "event"),
        (#"{"site":"s","event":42,"visitor":"v"}"#, .invalidType, "event"),
        (#"{"site":"s","event":"e","visitor":"v","props":[1]}"#, .invalidType, "props"),
        (#"{"site":"s","event":"e","visitor":"v","props":{"a":{"b":1}}}"#, .invalidType, "props.a"),
        (#"{"site":"s","event":"e","visitor":"v","timestamp":"yesterday"}"#, .invalidTimestamp, "timestamp"),
        (#"{"site":"s","event":"e","visitor":"v","timestamp":1793614503120.5}"#, .invalidTimestamp, "timestamp"),
        (#"{"site":"s","event":"e","visitor":"v","timestamp":1793700903}"#, .invalidTimestamp, "timestamp"),
        (#"{"site":"s","event":"e","visitor":"v","timestamp":true}"#, .invalidType, "timestamp"),
        (#"{"site":"s","event":"e","visitor":"v","revenue":{"amount":"9","currency":"AUD"}}"#, .invalidType, "revenue.amount"),
        (#"{"site":"s","event":"e","visitor":"v","revenue":{"amount":9,"currency":"aud"}}"#, .invalidValue, "revenue.currency"),
        (#"{"site":"s","event":"e","visitor":"v","revenue":{"amount":9}}"#, .missingField, "revenue.currency"),
        (#"{"site":"s","event":"e","visitor":"v","webdriver":"yes"}"#, .invalidType, "webdriver"),
        (#"{"site":"a b","event":"e","visitor":"v"}"#, .invalidValue, "site"),
    ])
    func rejectionsNameTheFieldAndTheReason(json: String, code: EventRejection.Code, field: String) {
        let rejection = rejection(json)
        #expect(rejection?.code == code)
        #expect(rejection?.field == field)
        #expect(rejection?.message.isEmpty == false)
    }

    @Test func enforcesLengthAndCountLimitsAtTheBoundary() {
        let name128 = String(repeating: "a", count: 128)
        #expect((try? validate(#"{"site":"s","event":"\#(name128)","visitor":"v"}"#).get()) != nil)
        #expect(rejection(#"{"site":"s","event":"\#(name128)a","visitor":"v"}"#)?.code == .tooLong)

        let props64 = (0..<64).map { #""k\#($0)":1"# }.joined(separator: ",")
        #expect((try? validate(#"{"site":"s","event":"e","visitor":"v","props":{\#(props64)}}"#).get()) != nil)
        let props65 = (0..<65).map { #""k\#($0)":1"# }.joined(separator: ",")
        #expect(rejection(#"{"site":"s","event":"e","visitor":"v","props":{\#(props65)}}"#)?.code == .tooManyProps)

        let key64 = String(repeating: "k", count: 64)
        #expect((try? validate(#"{"site":"s","event":"e","visitor":"v","props":{"\#(key64)":1}}"#).get()) != nil)
        #expect(rejection(#"{"site":"s","event":"e","visitor":"v","props":{"\#(key64)k":1}}"#)?.code == .tooLong)

        let value1024 = String(repeating: "x", count: 1024)
        #expect((try? validate(#"{"site":"s","event":"e","visitor":"v","props":{"a":"\#(value1024)"}}"#).get()) != nil)
        let tooLong = rejection(#"{"site":"s","event":"e","visitor":"v","props":{"a":"\#(value1024)x"}}"#)
        #expect(tooLong?.code == .tooLong)
        #expect(tooLong?.field == "props.a")
    }

    @Test func toleratesFiveMinutesOfClockSkewButNoMore() {
        let inFiveMinutes = Timestamp.formatRFC3339(now + 5 * 60 * 1000)
        #expect((try? validate(#"{"site":"s","event":"e","visitor":"v","timestamp":"\#(inFiveMinutes)"}"#).get()) != nil)
        let beyond = Timestamp.formatRFC3339(now + 5 * 60 * 1000 + 1)
        #expect(rejection(#"{"site":"s","event":"e","visitor":"v","timestamp":"\#(beyond)"}"#)?.code == .futureTimestamp)
    }
}
