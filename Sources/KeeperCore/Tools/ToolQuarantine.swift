import Foundation
import Synchronization

/// Decides which of an upstream's tools are held back under `tools.quarantine`: a tool whose
/// definition differs from its approved one, and (under `new-and-changed`) one never approved. The
/// first list seen when nothing has been approved yet is approved whole (trust on first use).
///
/// One per upstream in a process, shared by its sessions. The approvals are re-read when the file
/// changed (a `stat` per look), so `mcpkeeper tools approve` takes effect in running sessions;
/// each session's held-back tools are remembered so it can be told when one is released.
public final class ToolQuarantine: Sendable {
    /// Why a tool is held back.
    public struct Hold: Sendable, Equatable {
        public let tool: String
        /// The pinned fields that changed; empty for a tool never approved.
        public let changed: [String]
        /// The approved definition against the listed one, as a unified diff.
        public let diff: String
        public let sha256: String

        public var reason: String {
            if changed.isEmpty { return "it is new and has never been approved" }
            return "its \(changed.joined(separator: ", ")) changed since it was approved"
        }
    }

    public let mode: ToolSettings.QuarantineMode
    public let store: ToolApprovalStore
    private let state = Mutex(State())

    private struct State {
        var approvals: ToolApprovals?
        var loadError: String?
        var signature: [Int]?
        var loaded = false
        /// Per session: the held-back tools of its last list, by name, with the hash held back.
        var held: [String: [String: String]] = [:]
    }

    public init(mode: ToolSettings.QuarantineMode, store: ToolApprovalStore) {
        self.mode = mode
        self.store = store
    }

    /// Re-reads the approvals when the file changed since the last look.
    func refresh() {
        let signature = store.signature()
        let stale = state.withLock { !$0.loaded || $0.signature != signature }
        guard stale else { return }
        let approvals: ToolApprovals?
        var failure: String?
        do { approvals = try store.load() } catch {
            approvals = nil
            failure = error.description
        }
        state.withLock {
            $0.approvals = approvals
            $0.loadError = failure
            $0.signature = signature
            $0.loaded = true
        }
    }

    /// Why this listed tool is held back, or nil when it may be used. Nothing is written.
    public func hold(for tool: JSONValue) -> Hold? {
        refresh()
        let (approvals, failure) = state.withLock { ($0.approvals, $0.loadError) }
        return Self.hold(for: tool, approvals: approvals, loadError: failure, mode: mode)
    }

    static func hold(for tool: JSONValue, approvals: ToolApprovals?, loadError: String?, mode: ToolSettings.QuarantineMode) -> Hold? {
        guard mode != .off, let name = tool["name"]?.stringValue else { return nil }
        let hash = ToolDefinition.hash(tool)
        if let loadError {
            return Hold(tool: name, changed: [], diff: "the approved definitions cannot be read: \(loadError)", sha256: hash)
        }
        // Before anything is approved, trust on first use approves what is listed.
        guard let approvals else { return nil }
        if let approved = approvals.tools[name]?.approved {
            guard approved.sha256 != hash else { return nil }
            return Hold(tool: name, changed: ToolDefinition.changedFields(from: approved.definition, to: tool),
                        diff: ToolDefinition.diff(approved: approved.definition, current: tool, name: name), sha256: hash)
        }
        guard mode == .newAndChanged else { return nil }
        return Hold(tool: name, changed: [], diff: ToolDefinition.diff(approved: nil, current: tool, name: name), sha256: hash)
    }

    /// What one `tools/list` answer means for a session: the tools to leave out, by name. Records
    /// what it learned: the whole list approved on first use (`firstUse` is then true), new tools
    /// approved under `changed`, held-back definitions noted as pending for `mcpkeeper tools diff`.
    /// `all`: every tool the upstream lists (for trust on first use); `page`: the tools of this answer.
    public func screen(page: [JSONValue], all: [JSONValue], session: String, firstPage: Bool) -> (holds: [Hold], firstUse: Bool) {
        guard mode != .off else { return ([], false) }
        refresh()
        let (approvals, failure) = state.withLock { ($0.approvals, $0.loadError) }
        var holds: [Hold] = []
        var toApprove: [JSONValue] = []
        var toNote: [JSONValue] = []
        let firstUse = approvals == nil && failure == nil
        if firstUse {
            toApprove = all.isEmpty ? page : all
        } else {
            for tool in page {
                if let hold = Self.hold(for: tool, approvals: approvals, loadError: failure, mode: mode) {
                    holds.append(hold)
                    if failure == nil { toNote.append(tool) }
                } else if failure == nil, let name = tool["name"]?.stringValue, approvals?.tools[name]?.approved == nil {
                    toApprove.append(tool)
                }
            }
        }
        if !toApprove.isEmpty || toNote.contains(where: { tool in
            approvals?.tools[tool["name"]?.stringValue ?? ""]?.pending?.sha256 != ToolDefinition.hash(tool) }) {
            if let written = try? store.update({ approvals in
                let now = Date()
                for tool in toApprove { approvals.approve(tool, at: now) }
                for tool in toNote { approvals.notePending(tool, at: now) }
            }) {
                state.withLock {
                    $0.approvals = written
                    $0.signature = store.signature()
                }
            }
        }
        state.withLock { s in
            if firstPage { s.held[session] = [:] }
            for hold in holds { s.held[session, default: [:]][hold.tool] = hold.sha256 }
        }
        return (holds, firstUse)
    }

    /// Whether an approval since the session's last list released any tool it held back (and
    /// forgets those): the session's client should then be told its tool list changed.
    public func releasedAny(session: String) -> Bool {
        refresh()
        return state.withLock { s in
            guard let held = s.held[session], !held.isEmpty, let approvals = s.approvals else { return false }
            let released = held.filter { approvals.tools[$0.key]?.approved?.sha256 == $0.value }.map(\.key)
            for name in released { s.held[session]?[name] = nil }
            return !released.isEmpty
        }
    }

    public func forget(session: String) {
        _ = state.withLock { $0.held.removeValue(forKey: session) }
    }
}
