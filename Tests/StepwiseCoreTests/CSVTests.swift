import Testing
import StepwiseCore

@Suite struct CSVTests {
    @Test func readsQuotedFieldsWithCommasQuotesAndNewlines() throws {
        let records = try CSVReader.records("a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\"two\nlines\"\n\n1,,3")
        #expect(records.map(\.fields) == [["a", "b", "c"], ["x, y", "say \"hi\"", "two\nlines"], ["1", "", "3"]])
        #expect(records.map(\.line) == [1, 2, 5])
        #expect(throws: CSVReader.SyntaxError.self) { try CSVReader.records("a\n\"open") }
    }

    @Test func mapsColumnsToTheCanonicalEvent() throws {
        let mapper = try CSVEventMapper(header: ["site", "event", "visitor", "timestamp", "revenue", "currency", "props.price", "prop.sku", "props"])
        let object = try mapper.object(["s", "purchase", "v1", "1793614503120", "49.5", "AUD", "49", "007", #"{"coupon":"X"}"#]).get()
        let event = try EventValidator().validate(object, now: 1_793_800_000_000).get()
        #expect(event.timestamp == 1_793_614_503_120)
        #expect(event.revenue == Revenue(amount: 49.5, currency: "AUD"))
        #expect(event.props["price"] == .number(49))
        #expect(event.props["sku"] == .string("007"))
        #expect(event.props["coupon"] == .string("X"))
        let infinite = try mapper.object(["s", "purchase", "v1", "1793614503120", "inf", "AUD", "", "", ""]).get()
        if case .failure(let rejection) = EventValidator().validate(infinite, now: 1_793_800_000_000) {
            #expect(rejection.field == "revenue.amount" && rejection.code == .invalidValue)
        } else {
            Issue.record("an infinite revenue was accepted")
        }
        #expect(throws: CSVEventMapper.HeaderError.self) { try CSVEventMapper(header: ["site", "event", "colour"]) }
        #expect(throws: CSVEventMapper.HeaderError.self) { try CSVEventMapper(header: ["event", "visitor"]) }
        if case .failure(let rejection) = mapper.object(["s"]) { #expect(rejection.message.contains("1 fields")) }
    }

    @Test func assignsVariantsDeterministicallyAndByWeight() {
        let weights = [("control", 50), ("bold", 50)]
        let first = ExperimentAssignment.variant(experiment: "cta", person: "p1", weights: weights)
        #expect(ExperimentAssignment.variant(experiment: "cta", person: "p1", weights: weights) == first)
        let bold = (0..<10_000).count { ExperimentAssignment.variant(experiment: "cta", person: "v\($0)", weights: weights) == "bold" }
        #expect(abs(bold - 5000) < 250)  // ±5σ of a fair split
        let skewed = (0..<10_000).count { ExperimentAssignment.variant(experiment: "cta", person: "v\($0)", weights: [("a", 90), ("b", 10)]) == "b" }
        #expect(abs(skewed - 1000) < 150)
    }
}
