import Foundation
import Tracing

/// A finished probe as a trace: a span for the probe with a child per phase it went through, timed
/// as the prober measured them; the phase that failed carries the failure as its status.
public enum ProbeTrace {
    public static func record(_ result: ProbeResult) {
        let start = nanoseconds(result.startedAt)
        let end = start + nanoseconds(result.total)
        let probe = startSpan("probe \(result.target)", context: .topLevel, ofKind: .client, at: DefaultTracerClock.Timestamp(nanosecondsSinceEpoch: start))
        probe.attributes[MCPSpanAttribute.probeTarget] = result.target
        if let version = result.protocolVersion { probe.attributes[MCPSpanAttribute.protocolVersion] = version }
        if let failure = result.failure { probe.setStatus(SpanStatus(code: .error, message: failure)) }
        var mark = start
        for phase in [ProbeResult.Phase.connect, .initialize, .toolsList, .whoami] {
            let failed = phase == result.failedPhase
            guard let length = result.durations[phase].map(nanoseconds) ?? (failed ? end - min(mark, end) : nil) else { break }
            let span = startSpan(phase.rawValue, context: probe.context, at: DefaultTracerClock.Timestamp(nanosecondsSinceEpoch: mark))
            span.attributes[MCPSpanAttribute.probePhase] = phase.rawValue
            if failed, let failure = result.failure { span.setStatus(SpanStatus(code: .error, message: failure)) }
            mark += length
            span.end(at: DefaultTracerClock.Timestamp(nanosecondsSinceEpoch: mark))
            if failed { break }
        }
        probe.end(at: DefaultTracerClock.Timestamp(nanosecondsSinceEpoch: max(end, mark)))
    }

    static func nanoseconds(_ date: Date) -> UInt64 { UInt64(max(0, date.timeIntervalSince1970) * 1e9) }

    static func nanoseconds(_ duration: Duration) -> UInt64 {
        UInt64(max(0, duration.components.seconds)) * 1_000_000_000 + UInt64(max(0, duration.components.attoseconds) / 1_000_000_000)
    }
}
