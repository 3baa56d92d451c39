import Foundation

/// The status page (`/status` on `monitor` and `serve --metrics`): one HTML document per model, no
/// script, a meta refresh, readable on a phone. Every string from a config or an upstream is escaped.
public enum StatusPage {
    public static func html(_ model: StatusPageModel) -> String {
        let now = model.generatedAt
        let down = model.upstreams.filter { $0.up == false }.count
        let title = "mcpkeeper \(model.source): " + (down == 0 ? "all up" : "\(down) down")
        var html = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta http-equiv="refresh" content="\(max(1, model.refreshSeconds))">
        <title>\(HTMLText.escape(title))</title>
        <style>\(style)</style>
        </head><body>
        <header><h1>\(HTMLText.escape(title))</h1>
        <p class="muted">Generated \(time(now, now: now)); reloads every \(max(1, model.refreshSeconds)) s.</p></header>

        """
        for notice in model.notices {
            html += "<p class=\"notice\">\(HTMLText.escape(notice))</p>\n"
        }
        if model.upstreams.isEmpty { html += "<p class=\"muted\">No upstreams yet.</p>\n" }
        for upstream in model.upstreams {
            html += section(upstream, now: now)
        }
        html += "</body></html>\n"
        return html
    }

    static func section(_ upstream: UpstreamStatus, now: Date) -> String {
        let name = HTMLText.escape(upstream.name)
        let state = upstream.up.map { $0 ? "up" : "down" } ?? "unknown"
        var html = "<section class=\"upstream \(state)\" data-upstream=\"\(name)\" data-state=\"\(state)\">\n"
        html += "<h2><span class=\"badge \(state)\">\(state.uppercased())</span> \(name)</h2>\n"
        if let since = upstream.since {
            html += "<p class=\"since\">\(state == "up" ? "Up" : "Down") since \(time(since, now: now)).</p>\n"
        } else {
            html += "<p class=\"since muted\">Not probed yet.</p>\n"
        }
        html += "<h3>Latency</h3>\n" + LatencySparkline.svg(upstream.probes) + "\n"
        html += probeTable(upstream.probes, now: now)
        html += token(upstream.token, upstream: upstream.name, now: now)
        html += "<h3>Last hour</h3>\n<p class=\"hour\">Rate limits: <b class=\"rate-limits\">\(upstream.rateLimitsLastHour)</b> · "
            + "Retries: <b class=\"retries\">\(upstream.retriesLastHour)</b></p>\n"
        html += errors(upstream.errors, now: now)
        html += changes(upstream.toolChanges, now: now)
        return html + "</section>\n"
    }

    static func probeTable(_ probes: [ProbeSummary], now: Date) -> String {
        guard !probes.isEmpty else { return "" }
        let phases = ProbeResult.Phase.allCases
        var html = "<h3>Last probes</h3>\n<div class=\"scroll\"><table class=\"probes\"><thead><tr><th>when</th><th>status</th>"
        html += phases.map { "<th>\($0.rawValue)</th>" }.joined() + "</tr></thead><tbody>\n"
        for probe in probes.suffix(5).reversed() {
            html += "<tr class=\"\(probe.success ? "ok" : "fail")\"><td>\(time(probe.startedAt, now: now))</td><td>\(probe.status.label)</td>"
            for phase in phases {
                let failed = probe.failedPhase == phase ? " class=\"failed\"" : ""
                html += "<td\(failed)>" + (probe.durations[phase].map { "\(LatencySparkline.format($0.milliseconds)) ms" } ?? "–") + "</td>"
            }
            html += "</tr>\n"
        }
        return html + "</tbody></table></div>\n"
    }

    static func token(_ token: TokenStatus?, upstream: String, now: Date) -> String {
        guard let token else { return "" }
        var html = "<h3>Login</h3>\n<p class=\"token\">"
        switch token {
        case .notLoggedIn:
            html += "Not logged in."
        case .unusable(let reason):
            html += "The token file cannot be used: \(HTMLText.escape(reason))"
        case .expires(nil, _):
            html += "Logged in; the access token states no expiry."
        case .expires(let date?, let refreshable):
            html += date > now ? "Access token expires \(time(date, now: now))" : "Access token expired \(time(date, now: now))"
            switch refreshable {
            case true?: html += "; it is refreshed automatically."
            case false?: html += "; there is no refresh token."
            case nil: html += "."
            }
        }
        html += "</p>\n"
        if token.needsLogin(now: now) {
            html += "<p class=\"action\">Run: <code>mcpkeeper auth login --upstream \(HTMLText.escape(upstream))</code></p>\n"
        }
        return html
    }

    static func errors(_ errors: [StatusError], now: Date) -> String {
        guard !errors.isEmpty else { return "<h3>Last errors and warnings</h3>\n<p class=\"muted\">None.</p>\n" }
        var html = "<h3>Last errors and warnings</h3>\n<ul class=\"errors\">\n"
        for error in errors.reversed() {
            html += "<li>\(time(error.date, now: now))"
            if let phase = error.phase { html += " <span class=\"phase\">\(HTMLText.escape(phase))</span>" }
            html += ": <span class=\"message\">\(HTMLText.escape(error.message))</span>"
            if let hint = error.hint { html += "<br><span class=\"hint\">\(HTMLText.escape(hint))</span>" }
            html += "</li>\n"
        }
        return html + "</ul>\n"
    }

    static func changes(_ changes: [ToolSurfaceChange], now: Date) -> String {
        guard !changes.isEmpty else { return "<h3>Tool-surface changes</h3>\n<p class=\"muted\">None seen.</p>\n" }
        var html = "<h3>Tool-surface changes</h3>\n<ul class=\"changes\">\n"
        for change in changes.reversed() {
            html += "<li>\(time(change.date, now: now)): the tool list changed"
            if let count = change.toolCount { html += "; now \(count) tools" }
            if let hash = change.hash { html += " (<code>\(HTMLText.escape(String(hash.prefix(12))))</code>)" }
            html += "</li>\n"
        }
        return html + "</ul>\n"
    }

    /// `<time>` with the exact UTC instant and how long ago (or ahead) it is.
    static func time(_ date: Date, now: Date) -> String {
        let iso = date.formatted(Date.ISO8601FormatStyle())
        let delta = date.timeIntervalSince(now)
        let span = StatusPage.span(abs(delta))
        let relative = abs(delta) < 1 ? "now" : (delta < 0 ? "\(span) ago" : "in \(span)")
        return "<time datetime=\"\(iso)\" title=\"\(iso)\">\(relative)</time>"
    }

    static func span(_ seconds: TimeInterval) -> String {
        switch seconds {
        case ..<60: return "\(Int(seconds)) s"
        case ..<3600: return "\(Int(seconds / 60)) min"
        case ..<172_800: return "\(Int(seconds / 3600)) h \(Int(seconds.truncatingRemainder(dividingBy: 3600) / 60)) min"
        default: return "\(Int(seconds / 86400)) days"
        }
    }

    static let style = """
    body{font:16px/1.4 system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:.75rem;color:#111;background:#fafafa}\
    h1{font-size:1.3rem}h2{font-size:1.15rem;margin:.2rem 0}h3{font-size:1rem;margin:.8rem 0 .3rem}\
    section{background:#fff;border:1px solid #ddd;border-left:6px solid #999;border-radius:6px;padding:.6rem .8rem;margin:.8rem 0}\
    section.up{border-left-color:#2a8a3e}section.down{border-left-color:#c62828}\
    .badge{display:inline-block;padding:0 .4rem;border-radius:4px;color:#fff;background:#777;font-size:.85rem}\
    .badge.up{background:#2a8a3e}.badge.down{background:#c62828}\
    .muted{color:#666}.notice{background:#fff3cd;border:1px solid #e0c060;padding:.5rem;border-radius:4px}\
    .hint{color:#5a3e00}.action{font-weight:600}code{background:#eee;padding:0 .2rem;border-radius:3px;word-break:break-all}\
    .scroll{overflow-x:auto}table{border-collapse:collapse;font-size:.85rem}th,td{padding:.15rem .4rem;border-bottom:1px solid #eee;text-align:right;white-space:nowrap}\
    th:first-child,td:first-child{text-align:left}tr.fail td{color:#c62828}td.failed{font-weight:700}\
    svg.latency{max-width:100%;height:auto}svg .axis{stroke:#ccc}svg polyline.ok{fill:none;stroke:#1565c0;stroke-width:1.5}\
    svg circle.ok{fill:#1565c0}svg circle.fail{fill:#c62828}ul{padding-left:1.2rem}li{margin:.2rem 0;word-break:break-word}
    """
}
