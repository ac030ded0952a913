import Foundation
import StepwiseCore
import StepwisePlan

/// One `props` condition of a plan, ready to test against an event's properties.
///
/// Numbers compare numerically, and a string that reads as a number counts as one: the
/// tracker sends `data-stepwise-*` attributes as strings. A missing property satisfies
/// only `ne`, the way analysts read "is not".
public struct PropPredicate: @unchecked Sendable {
    let condition: PropCondition
    /// Compiled once; NSRegularExpression is immutable after creation and safe to share.
    private let regex: NSRegularExpression?

    init(_ condition: PropCondition) {
        self.condition = condition
        if condition.op == .matches, case .string(let pattern) = condition.operand {
            regex = try? NSRegularExpression(pattern: pattern)
        } else {
            regex = nil
        }
    }

    func isSatisfied(by props: JSONObject) -> Bool {
        guard let value = props[condition.key], value != .null else { return condition.op == .ne }
        switch condition.op {
        case .eq: return Self.equal(value, condition.operand)
        case .ne: return !Self.equal(value, condition.operand)
        case .gt, .gte, .lt, .lte:
            guard let number = Self.number(value), case .number(let bound) = condition.operand else { return false }
            switch condition.op {
            case .gt: return number > bound
            case .gte: return number >= bound
            case .lt: return number < bound
            default: return number <= bound
            }
        case .in:
            guard case .list(let items) = condition.operand else { return false }
            return items.contains { Self.equal(value, $0) }
        case .contains:
            guard case .string(let needle) = condition.operand else { return false }
            switch value {
            case .string(let text): return text.contains(needle)
            case .array(let items): return items.contains(.string(needle))
            default: return false
            }
        case .matches:
            guard let regex, case .string(let text) = value else { return false }
            return regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
        }
    }

    /// The number a property reads as in comparisons: a number, or a string that parses as a
    /// finite one. Public so stores that compare in SQL precompute the same reading.
    public static func number(_ value: JSONValue) -> Double? {
        switch value {
        case .number(let number): number
        case .string(let text): Double(text).flatMap { $0.isFinite ? $0 : nil }
        default: nil
        }
    }

    static func equal(_ value: JSONValue, _ operand: PropCondition.Operand) -> Bool {
        switch (value, operand) {
        case (.string(let a), .string(let b)): a == b
        case (.bool(let a), .bool(let b)): a == b
        case (.number(let a), .number(let b)): a == b
        case (.string, .number(let b)): number(value) == b
        case (.number(let a), .string(let b)): Double(b) == a
        case (.bool(let a), .string(let b)): String(a) == b
        default: false
        }
    }
}
