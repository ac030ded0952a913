import Foundation
import Testing
import StepwiseCore
import StepwiseDemo
import StepwiseEngine
import StepwisePlan
@testable import StepwiseStorage

/// The demo's recorded truth, recovered by the engine after a round trip through storage.
@Suite struct DemoGroundTruthTests {
    let end = Timestamp.parseRFC3339("2026-11-20T00:00:00Z")!

    @Test func theEngineRecoversTheSeededPersonsPerEventExactly() async throws {
        let dir = TemporaryDirectory()
        let store = try EventStore(path: dir.path("demo.db"))
        let writer = DemoWriter(store: store)
        for profile in [DemoSiteProfile.shop, .saas] {
            let truth = try await writer.write(profile: profile, seed: 7, visitors: 3000, end: end)
            #expect(try writer.groundTruth(site: profile.site) == truth)
            let report = EventCounter.count(EventCountsQuery(site: profile.site), in: store.live.snapshot())
            let persons = Dictionary(uniqueKeysWithValues: report.events.map { ($0.event, $0.persons) })
            let events = Dictionary(uniqueKeysWithValues: report.events.map { ($0.event, $0.events) })
            #expect(persons == truth.personsByEvent)
            #expect(events == truth.eventsByEvent)
            // Each funnel step happens at most once per person, in order, so its persons are the funnel's.
            #expect(profile.funnel.map { persons[$0] ?? 0 } == truth.funnelPersons)
            #expect(truth.crossDevicePersons > 0)

            // Every bot the generator wrote is caught, for the reason it was written with.
            let table = store.live.snapshot()
            let range = table.sitePersons[table.siteID(profile.site)!]!
            var caught: [String: Int] = [:]
            for p in range where table.personBot[p] != 0 { caught[BotReason(rawValue: table.personBot[p])!.description, default: 0] += 1 }
            #expect(caught == truth.botVisitors)
            #expect(range.count - caught.values.reduce(0, +) == truth.humanPersons)

            // The demo's own plan loads, and its rates recover the seeded truth.
            let plan = try TrackingPlanLoader.load(yaml: try #require(try store.planText(site: profile.site)))
            let rates = RatesCalculator.compute(RatesQuery(site: profile.site, plan: plan), in: table)
            #expect(rates.persons == truth.humanPersons)
            for definition in rates.definitions {
                let rule = try #require(plan.conversion(named: definition.name))
                guard let event = rule.when.event, event != "pageview" else { continue }
                #expect(definition.persons == truth.personsByEvent[event] ?? 0, "\(definition.name)")
                if rule.count == .every { #expect(definition.completions == truth.eventsByEvent[event] ?? 0, "\(definition.name)") }
                #expect(definition.perPerson.denominator == truth.humanPersons)
            }
            // The plan's funnel recovers the seeded funnel exactly, and mobile leaks more at checkout.
            var funnel = try FunnelQuery(site: profile.site, funnel: try #require(plan.funnels.first), plan: plan)
            #expect(FunnelCalculator.compute(funnel, in: table).steps.map(\.count) == truth.funnelPersons)
            funnel.breakdown = .device
            let byDevice = Dictionary(uniqueKeysWithValues: (FunnelCalculator.compute(funnel, in: table).breakdown ?? []).map { ($0.value, $0.steps) })
            let leak = try #require(profile.funnel.firstIndex(of: truth.mobileLeakStep))
            func rate(_ device: String) throws -> Double { try #require(byDevice[device]?[leak].rateFromPrevious) }
            if profile.macro == "purchase" { #expect(try rate("mobile") < rate("desktop")) }
            for micro in truth.micros {
                let rate = try #require(rates.definitions.first { $0.name == micro.name }?.perPerson.ci95)
                #expect(rate[0] <= micro.prevalence && micro.prevalence <= rate[1], "\(micro.name) \(rate) ∌ \(micro.prevalence)")
            }
        }
    }

    /// SPEC §7: the ×3 micro is a strong predictor, the ×1 micro is vanity, the ×2 lands
    /// between, and the micro that only ever follows the macro gets no credit.
    @Test func predictiveValueRecoversTheSeededMicroEffects() async throws {
        let dir = TemporaryDirectory()
        let store = try EventStore(path: dir.path("demo.db"))
        let writer = DemoWriter(store: store)
        for profile in [DemoSiteProfile.shop, .saas] {
            let truth = try await writer.write(profile: profile, seed: 11, visitors: 25_000, end: end)
            let plan = try TrackingPlanLoader.load(yaml: try #require(try store.planText(site: profile.site)))
            let table = store.live.snapshot()
            let report = try PredictiveValueCalculator.compute(
                PredictQuery(site: profile.site, plan: plan, macro: truth.macro, micros: truth.micros.map(\.name) + [truth.postMacroMicro]),
                in: table)
            #expect(report.persons == truth.humanPersons)
            var lifts: [Double] = []
            for micro in truth.micros {
                let value = try #require(report.micros.first { $0.name == micro.name })
                let ci = try #require(value.liftCi95)
                #expect(ci[0] <= micro.effect && micro.effect <= ci[1], "\(profile.site) \(micro.name): \(ci) ∌ \(micro.effect)")
                switch micro.effect {
                case 3: #expect(value.verdict == .strong, "\(micro.name): \(value.why)")
                case 2: #expect(value.verdict == .strong || value.verdict == .weak, "\(micro.name): \(value.why)")
                default: #expect(value.verdict == .vanity || value.verdict == .noEvidence, "\(micro.name): \(value.why)")
                }
                lifts.append(try #require(value.lift))
            }
            // Sorted by true effect (3, 2, 1), the measured lifts fall in the same order.
            #expect(lifts == lifts.sorted(by: >))
            let leak = try #require(report.micros.first { $0.name == truth.postMacroMicro })
            #expect(leak.persons == 0 && leak.coverage.numerator == 0 && leak.verdict == .noEvidence)
            #expect(try #require(report.model?.cvAuc) > 0.55)

            // The demo's experiment: its true lift on the primary step is found, with no false alarm.
            if let experiment = truth.experiment {
                let report = try ExperimentCalculator.compute(
                    ExperimentQuery(site: profile.site, plan: plan, experiment: experiment.name), in: table)
                #expect(!report.sampleRatio.mismatch && report.mixedExposures == 0)
                let primary = try #require(report.metrics.first { $0.role == .primary })
                #expect(primary.name == experiment.primary)
                let comparison = try #require(primary.variants.first { $0.variant == experiment.treatment }?.comparison)
                let ci = try #require(comparison.relativeCi95)
                #expect(ci[0] <= experiment.trueRelativeLift && experiment.trueRelativeLift <= ci[1], "\(ci) ∌ \(experiment.trueRelativeLift)")
                #expect(comparison.pValue < 0.05 && comparison.chanceToBeatControl > 0.95)
                #expect(report.verdict == .ship, "\(report.why) \(report.warnings)")
            }

            // Channel quality recovers, exactly, the persons each channel brought and how many reached
            // the first funnel step; their rates rank the channels by their seeded intent.
            let attribution = try AttributionCalculator.compute(AttributionQuery(site: profile.site, plan: plan, macro: truth.macro), in: table)
            var measured: [(Channel, Double)] = []
            for channel in DemoGenerator.channelIntent.keys {
                let row = try #require(attribution.quality.first { $0.channel == channel.description }, "\(channel)")
                let rate = try #require(row.micros.first { $0.name == profile.funnel[0] }?.rate)
                #expect(row.persons == truth.channelPersons?[channel.description], "\(profile.site) \(channel)")
                #expect(rate.numerator == truth.channelFirstStep?[channel.description], "\(profile.site) \(channel)")
                measured.append((channel, Double(rate.numerator) / Double(rate.denominator)))
            }
            measured.sort { $0.1 > $1.1 }
            #expect(measured.first?.0 == .email && measured.last?.0 == .display, "\(measured)")
            #expect(attribution.quality.map(\.persons).reduce(0, +) == truth.humanPersons)
            #expect(abs(try #require(attribution.channels.map { $0.credit.lastNonDirect ?? 0 }.reduce(0, +)) - Double(attribution.conversions)) < 1e-6)

            // The hypothesis board finds the mobile leak, and takes ease from the plan.
            var easyPlan = plan
            easyPlan.ease[truth.micros[0].name] = 9
            let board = try await HypothesisBoard.compute(site: profile.site, plan: easyPlan, funnel: nil, from: nil, to: nil, includeBots: false,
                                                          backend: EngineBackend(table: { table }))
            let leakIndex = try #require(profile.funnel.firstIndex(of: truth.mobileLeakStep))
            let leakIdea = try #require(board.ideas.first { $0.key == "\(profile.funnel[leakIndex - 1])->\(truth.mobileLeakStep)" })
            if profile.macro == "purchase" { #expect(leakIdea.confidence == 8 && leakIdea.evidence.contains("mobile leaks significantly more")) }
            let strongest = try #require(board.ideas.first { $0.key == truth.micros[0].name })
            #expect(strongest.ease == 9 && strongest.confidence == 8)
            #expect(board.ideas.map(\.ice) == board.ideas.map(\.ice).sorted(by: >))
            #expect(!board.ideas.contains { $0.source == .predictor && profile.funnel.contains($0.key) })

            // Scores at a cut-off rank later buyers better than chance, with plan and learned values.
            for learned in [false, true] {
                let score = try EngagementScoreCalculator.compute(ScoreQuery(site: profile.site, plan: plan, learned: learned), in: table)
                let ranking = try #require(score.ranking)
                #expect(ranking.converted > 0)
                #expect(try #require(ranking.auc) > 0.55, "learned \(learned)")
                #expect(score.top.count == 50 && score.top.map(\.score) == score.top.map(\.score).sorted(by: >))
            }
        }
    }

    @Test func theDemoHasRealisticDropOffAndAMobileCheckoutLeak() {
        var events: [CanonicalEvent] = []
        let truth = DemoGenerator(profile: .shop, seed: 42, visitors: 40_000, end: end).generate { events.append($0) }
        let humans = Double(truth.humanPersons)
        let rates = truth.funnelPersons.map { Double($0) / humans }
        // SPEC §7: about 30 % view a product, 8 % add to cart, 4 % begin checkout, 2 % buy.
        #expect(abs(rates[0] - 0.30) < 0.03)
        #expect(abs(rates[1] - 0.08) < 0.015)
        #expect(abs(rates[2] - 0.04) < 0.01)
        #expect(abs(rates[3] - 0.02) < 0.006)
        // Same seed, same traffic.
        var again: [CanonicalEvent] = []
        _ = DemoGenerator(profile: .shop, seed: 42, visitors: 2000, end: end).generate { again.append($0) }
        var first: [CanonicalEvent] = []
        _ = DemoGenerator(profile: .shop, seed: 42, visitors: 2000, end: end).generate { first.append($0) }
        #expect(first == again)
        #expect(events.allSatisfy { $0.timestamp <= end && $0.timestamp >= truth.start })

        // Mobile carts reach checkout less often than desktop carts.
        var carts: [Bool: Set<String>] = [:]
        var checkouts: [Bool: Set<String>] = [:]
        for event in events {
            let mobile = event.userAgent?.contains("Mobile") == true && event.userAgent?.contains("iPad") == false
            if event.name == "add_to_cart" { carts[mobile, default: []].insert(event.visitor) }
            if event.name == "begin_checkout" { checkouts[mobile, default: []].insert(event.visitor) }
        }
        let mobileRate = Double(checkouts[true]!.count) / Double(carts[true]!.count)
        let desktopRate = Double(checkouts[false]!.count) / Double(carts[false]!.count)
        #expect(mobileRate < desktopRate - 0.1)
    }
}
