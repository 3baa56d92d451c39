@testable import KeeperCore
import Foundation
import Logging
import Testing

private let monitorTestLogger = Logger(label: "monitor-tests", factory: { _ in SwiftLogNoOpLogHandler() })

/// Always the same draw, so the monitor's schedule is predictable.
private struct FixedRandomSource: RandomSource {
    let value: Double
    func unit() -> Double { value }
}

/// A target that starts but never answers `initialize`: its probe runs until the plan's timeout.
private func stuckPlan(_ target: String, timeout: Duration = .milliseconds(300)) -> Prober.Plan {
    var plan = Prober.Plan(target: target, upstream: .child(ChildProcessSpec(executable: "/bin/sh", arguments: ["-c", "exec sleep 60"]),
                                                            shutdownGrace: .milliseconds(100)))
    plan.timeout = timeout
    return plan
}

/// A target whose command does not exist: its probe fails at once, in `connect`.
private func missingPlan(_ target: String) -> Prober.Plan {
    var plan = Prober.Plan(target: target, upstream: .child(ChildProcessSpec(executable: "/nonexistent/mcp-server-\(target)"),
                                                            shutdownGrace: .milliseconds(100)))
    plan.timeout = .seconds(3)
    return plan
}

/// A tiny MCP server in sh that answers the probe's three requests (ids 1, 2, 3) in order:
/// initialize, tools/list with one `whoami` tool, and whoami saying it is "bot".
private func answeringPlan(_ target: String) -> Prober.Plan {
    let script = #"""
    read -r line
    printf '%s\n' '{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2025-06-18","capabilities":{"tools":{}},"serverInfo":{"name":"sh-server","version":"1.2"}}}'
    read -r line
    read -r line
    printf '%s\n' '{"jsonrpc":"2.0","id":2,"result":{"tools":[{"name":"whoami","inputSchema":{"type":"object"}}]}}'
    read -r line
    printf '%s\n' '{"jsonrpc":"2.0","id":3,"result":{"content":[{"type":"text","text":"{\"name\":\"bot\"}"}]}}'
    cat >/dev/null
    """#
    var plan = Prober.Plan(target: target, upstream: .child(ChildProcessSpec(executable: "/bin/sh", arguments: ["-c", script]),
                                                            shutdownGrace: .milliseconds(500)))
    // Generous: a loaded 2-core machine can take seconds to start a shell; the test is about answers, not speed.
    plan.timeout = .seconds(20)
    return plan
}

/// A monitor whose own schedule runs on `clock`; the prober inside it uses the real clock, so a
/// plan's timeout really ends a stuck probe.
private func makeMonitor(_ plans: [Prober.Plan], clock: ManualClock = ManualClock(), interval: Duration = .seconds(60),
                         random: Double = 0.5) -> Monitor {
    Monitor(plans: plans, interval: interval, prober: Prober(clock: SystemStageClock(), logger: monitorTestLogger),
            clock: clock, random: FixedRandomSource(value: random))
}

/// Polls `condition` every 5 ms until it holds; false after `timeout`.
private func within(_ timeout: Duration, _ condition: () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return await condition()
}

/// The sample lines of an exposition (no comments).
private func samples(_ text: String) -> [Substring] {
    text.split(separator: "\n").filter { !$0.hasPrefix("#") }
}

@Suite("Monitor")
struct MonitorTests {
    @Test("two concurrent probes of one target start only one probe, and both get its result")
    func overlappingProbesCoalesce() async throws {
        let monitor = makeMonitor([stuckPlan("a", timeout: .milliseconds(500))])
        let began = ContinuousClock.now
        let first = Task { await monitor.probe("a") }
        #expect(await within(.seconds(10)) { await monitor.started["a"] == 1 })
        let second = Task { await monitor.probe("a") }
        let one = try #require(await first.value)
        let two = try #require(await second.value)
        #expect(await monitor.started["a"] == 1, "the second ask waited for the running probe")
        #expect(one.startedAt == two.startedAt)
        #expect(one.failure == two.failure)
        #expect(ContinuousClock.now - began < .seconds(40), "one timeout's worth, not the child's 60 s sleep")

        // Once it has finished, the next ask starts a new probe.
        _ = await monitor.probe("a")
        #expect(await monitor.started["a"] == 2)
    }

    @Test("a stuck probe is cut at its timeout and reported CRITICAL naming the phase initialize")
    func stuckProbeTimesOut() async throws {
        let monitor = makeMonitor([stuckPlan("stuck", timeout: .milliseconds(300))])
        let began = ContinuousClock.now
        let result = try #require(await monitor.probe("stuck"))
        let elapsed = ContinuousClock.now - began
        #expect(elapsed >= .milliseconds(300))
        #expect(elapsed < .seconds(40), "ended at its timeout (plus a short goodbye), not after the child's 60 s sleep")
        #expect(result.status == .critical)
        #expect(result.success == false)
        #expect(result.failedPhase == .initialize)
        #expect(result.failure == "timed out after 0.3 s during initialize")
        #expect(result.durations[.connect] != nil)
        #expect(result.durations[.initialize] == nil, "the phase it cut short has no duration")
        #expect(result.total >= .milliseconds(300))

        let text = await monitor.exposition()
        #expect(text.contains(#"mcp_probe_success{target="stuck"} 0"#), "\(text)")
        #expect(text.contains(#"mcp_probe_status{target="stuck"} 2"#), "\(text)")
        #expect(text.contains(#"mcp_probe_consecutive_failures{target="stuck"} 1"#), "\(text)")
    }

    @Test("exposition lists each probed target's last result in config order; targets never probed are absent")
    func expositionListsLastResults() async throws {
        let monitor = makeMonitor([answeringPlan("up"), missingPlan("down"), answeringPlan("never")])
        #expect(monitor.targets == ["up", "down", "never"])
        #expect(await monitor.exposition() == "", "nothing probed yet")

        let down = try #require(await monitor.probe("down"))
        #expect(down.status == .critical)
        #expect(down.failedPhase == .connect)
        let up = try #require(await monitor.probe("up"))
        #expect(up.status == .ok, "\(up.failure ?? "") \(up.warnings)")
        #expect(up.toolCount == 1)
        #expect(up.whoamiTool == "whoami")
        #expect(up.identity == "bot")
        #expect(up.serverName == "sh-server")
        _ = await monitor.probe("down")

        let text = await monitor.exposition()
        #expect(text.contains(#"mcp_probe_success{target="up"} 1"#), "\(text)")
        #expect(text.contains(#"mcp_probe_tools{target="up"} 1"#), "\(text)")
        #expect(text.contains(#"mcp_probe_info{target="up",server_name="sh-server",server_version="1.2",protocol_version="2025-06-18",era="legacy"} 1"#),
                "\(text)")
        #expect(text.contains(#"mcp_probe_success{target="down"} 0"#), "\(text)")
        #expect(text.contains(#"mcp_probe_consecutive_failures{target="down"} 2"#), "\(text)")
        #expect(!text.contains(#"target="never""#), "\(text)")
        let lines = samples(text)
        let firstUp = try #require(lines.firstIndex { $0.contains(#"target="up""#) })
        let firstDown = try #require(lines.firstIndex { $0.contains(#"target="down""#) })
        #expect(firstUp < firstDown, "config order, not probe order")
        #expect(text.components(separatedBy: "# TYPE mcp_probe_success gauge").count == 2, "TYPE once per family: \(text)")
    }

    @Test("exposition keeps each family's samples in one group across targets, as the text format requires")
    func expositionGroupsFamilies() async throws {
        let monitor = makeMonitor([missingPlan("a"), missingPlan("b")])
        _ = await monitor.probe("a")
        _ = await monitor.probe("b")
        let text = await monitor.exposition()
        var order: [String] = []
        for line in samples(text) {
            let family = String(line.prefix { $0 != "{" && $0 != " " })
            if order.last != family { order.append(family) }
        }
        let repeated = Set(order.filter { family in order.filter { $0 == family }.count > 1 })
        #expect(repeated.isEmpty, "families split into several groups: \(repeated.sorted())\n\(text)")
    }

    @Test("probeExposition probes one target now and renders only its metrics; the next probe sees the last tool surface")
    func probeExpositionOneTarget() async throws {
        let monitor = makeMonitor([answeringPlan("up"), missingPlan("down")])
        let text = try #require(await monitor.probeExposition("up"))
        #expect(text.contains(#"mcp_probe_success{target="up"} 1"#), "\(text)")
        #expect(samples(text).allSatisfy { $0.contains(#"{target="up""#) }, "\(text)")
        #expect(await monitor.started["up"] == 1)
        #expect(await monitor.started["down"] == nil)

        let again = try #require(await monitor.probe("up"))
        #expect(again.toolSurfaceChanged == false, "the same tools as last time")
        #expect(again.status == .ok)
        #expect(await monitor.started["up"] == 2)
    }

    @Test("a target that cannot be probed at all is UNKNOWN with success 0, without starting a probe")
    func unavailableTarget() async throws {
        let monitor = Monitor(plans: [missingPlan("a")], unavailable: [(target: "broken", reason: "NOTION_TOKEN is not set")],
                              interval: .seconds(60), prober: Prober(clock: SystemStageClock(), logger: monitorTestLogger),
                              clock: ManualClock(), random: FixedRandomSource(value: 0.5))
        #expect(monitor.targets == ["a", "broken"])
        let result = try #require(await monitor.probe("broken"))
        #expect(result.status == .unknown)
        #expect(result.success == false)
        #expect(result.failure == "NOTION_TOKEN is not set")
        #expect(await monitor.started["broken"] == nil)
        let text = try #require(await monitor.probeExposition("broken"))
        #expect(text.contains(#"mcp_probe_success{target="broken"} 0"#), "\(text)")
        #expect(text.contains(#"mcp_probe_status{target="broken"} 3"#), "\(text)")
        #expect(text.contains(#"mcp_probe_consecutive_failures{target="broken"} 2"#), "\(text)")
        #expect(await monitor.exposition().contains(#"mcp_probe_status{target="broken"} 3"#))
    }

    @Test("an unknown target: probe and probeExposition are nil and nothing starts")
    func unknownTarget() async {
        let monitor = makeMonitor([missingPlan("a")])
        #expect(await monitor.probe("nope") == nil)
        #expect(await monitor.probeExposition("nope") == nil)
        #expect(await monitor.started["nope"] == nil)
        #expect(await monitor.started.isEmpty)
        #expect(await monitor.exposition() == "")
    }

    @Test("run: each target first waits a random share of the interval, then about one interval between probes")
    func scheduleOnTheClock() async throws {
        let clock = ManualClock()
        clock.holdSleeps()
        let monitor = makeMonitor([missingPlan("a"), missingPlan("b")], clock: clock, interval: .seconds(10), random: 0.5)
        let run = Task { await monitor.run() }
        #expect(await within(.seconds(20)) { clock.heldCount == 2 })
        #expect(clock.sleeps == [.seconds(5), .seconds(5)], "interval × random draw")
        #expect(await monitor.started.isEmpty, "nothing probed before the first wait ends")

        clock.releaseHeld()
        clock.releaseHeld()
        #expect(await within(.seconds(20)) { clock.heldCount == 2 })
        #expect(await monitor.started == ["a": 1, "b": 1])
        #expect(clock.sleeps.count == 4)
        #expect(clock.sleeps.suffix(2) == [.seconds(10), .seconds(10)], "interval × (0.9 + 0.2 × 0.5)")
        let text = await monitor.exposition()
        #expect(text.contains(#"mcp_probe_success{target="a"} 0"#) && text.contains(#"mcp_probe_success{target="b"} 0"#), "\(text)")

        run.cancel()
        await run.value
        #expect(clock.heldCount == 0, "cancelling the run ends the waits")
    }
}
