import Foundation

/// What a target's earlier probes left behind: the tool-surface hash, failures in a row, the last
/// success, and how often the surface changed. Kept in memory by `monitor`, in a 0600 file by `probe`.
public struct ProbeHistory: Sendable, Equatable {
    public var toolSurfaceHash: String?
    public var consecutiveFailures = 0
    public var lastSuccess: Date?
    public var toolSurfaceChanges = 0

    public init() {}

    /// Folds in one probe's result.
    public mutating func record(_ result: ProbeResult) {
        if result.success {
            consecutiveFailures = 0
            lastSuccess = result.startedAt
        } else {
            consecutiveFailures += 1
        }
        if result.toolSurfaceChanged { toolSurfaceChanges += 1 }
        if let hash = result.toolSurfaceHash { toolSurfaceHash = hash }
    }

    public var json: JSONValue {
        var object: JSONObject = ["consecutive_failures": .number(JSONNumber(consecutiveFailures)),
                                  "tool_surface_changes": .number(JSONNumber(toolSurfaceChanges))]
        object["tool_surface_hash"] = toolSurfaceHash.map(JSONValue.string)
        object["last_success"] = lastSuccess.map { .number(JSONNumber($0.timeIntervalSince1970)) }
        return .object(object)
    }

    public init(json: JSONValue) {
        toolSurfaceHash = json["tool_surface_hash"]?.stringValue
        consecutiveFailures = json["consecutive_failures"]?.intValue ?? 0
        toolSurfaceChanges = json["tool_surface_changes"]?.intValue ?? 0
        lastSuccess = json["last_success"]?.doubleValue.map(Date.init(timeIntervalSince1970:))
    }

    /// Reads a history file; a missing or unreadable one is a fresh start.
    public static func load(from path: String) -> ProbeHistory {
        guard let data = FileManager.default.contents(atPath: path), let json = try? JSONParser.parse(Array(data)) else {
            return ProbeHistory()
        }
        return ProbeHistory(json: json)
    }

    public func save(to path: String) throws(FileAccessError) {
        try SecureFile.createDirectory(forFile: path)
        try SecureFile.writeAtomically(json.serializedBytes() + [0x0A], to: path)
    }
}
