@testable import KeeperCore
import Testing

private func load(_ text: String) -> (config: KeeperConfig?, problems: [ConfigProblem]) {
    ConfigLoader(environment: ["HOME": "/home/test"]).load(bytes: Array(text.utf8))
}

private func upstream(_ rules: String) -> String {
    #"{"upstreams":{"py":{"command":"python3","outcome_rules":\#(rules)}}}"#
}

@Suite("Config: outcome rules, rate-limit wait and bare-number durations")
struct OutcomeRulesConfigTests {
    @Test("rules are read in order with their pointer, pattern and class; a rule without a name is named by its place")
    func rulesRead() throws {
        let (config, problems) = load(upstream(#"[{"name":"friendly","pattern":"Too many requests","outcome":"rate_limited"},{"pointer":"/structuredContent/denied","outcome":"restricted"}]"#))
        #expect(problems.isEmpty, "\(problems)")
        let rules = try #require(config?.upstream(named: "py")?.outcomeRules)
        #expect(rules == [NotionOutcomeRule(name: "friendly", pattern: "Too many requests", outcome: .rateLimited),
                          NotionOutcomeRule(name: "rule2", pointer: "/structuredContent/denied", outcome: .restricted)])
    }

    @Test("each bad rule is an error at its own JSON path", arguments: [
        (#"[{"pattern":"x"}]"#, "upstreams.py.outcome_rules[0].outcome", "missing"),
        (#"[{"outcome":"rate_limited"}]"#, "upstreams.py.outcome_rules[0]", "\"pointer\""),
        (#"[{"pattern":"x","outcome":"slow"}]"#, "upstreams.py.outcome_rules[0].outcome", "rate_limited"),
        (#"[{"pattern":"x","outcome":"success"}]"#, "upstreams.py.outcome_rules[0].outcome", "rate_limited"),
        (#"[{"outcome":"rate_limited","pattern":"ok"},{"pointer":"structuredContent","outcome":"conflict"}]"#, "upstreams.py.outcome_rules[1].pointer", "JSON pointer"),
        (#"[{"pattern":"Too (many","outcome":"rate_limited"}]"#, "upstreams.py.outcome_rules[0].pattern", "regular expression"),
        (#"[{"pattern":"x","outcome":"conflict","when":"always"}]"#, "upstreams.py.outcome_rules[0].when", "unknown key"),
        (#"{"pattern":"x"}"#, "upstreams.py.outcome_rules", "array"),
    ])
    func badRule(_ rules: String, _ path: String, _ words: String) {
        let (config, problems) = load(upstream(rules))
        #expect(config?.upstream(named: "py") == nil, "an upstream with a bad rule is not used")
        let found = problems.filter { $0.path == path && $0.severity == .error }
        #expect(found.count == 1, "\(problems)")
        #expect(found.first?.message.contains(words) == true, "\(found)")
    }

    @Test("retry.rate_limit_wait is read, and defaults to one second")
    func rateLimitWait() {
        #expect(load(#"{"upstreams":{"s":{"sandbox":{}}}}"#).config?.retry.rateLimitWait == .seconds(1))
        #expect(load(#"{"upstreams":{"s":{"sandbox":{}}},"retry":{"rate_limit_wait":"2500ms"}}"#).config?.retry.rateLimitWait == .milliseconds(2500))
    }

    @Test("a bare number is seconds wherever the config takes a duration, as a JSON number or a string")
    func bareNumbers() {
        let config = load(#"{"upstreams":{"s":{"sandbox":{}}},"probe":{"timeout":10,"interval":"90"},"retry":{"deadline":2.5}}"#).config
        #expect(config?.probe.timeout == .seconds(10))
        #expect(config?.probe.interval == .seconds(90))
        #expect(config?.retry.deadline == .milliseconds(2500))
    }
}
