@testable import KeeperCore
import Foundation

/// A config file in a fresh directory of its own (which is also its `state_dir`), resolved into
/// serve's settings as `serve --config FILE` would; `rewrite` changes it for a reload.
final class ServeConfigFile: Sendable {
    let directory: String
    var path: String { directory + "/config.json" }

    /// `json` may use `STATE_DIR` for the file's directory.
    init(_ json: String) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("mcpkeeper-serving-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try rewrite(json)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    func rewrite(_ json: String) throws {
        try Data(json.replacingOccurrences(of: "STATE_DIR", with: directory).utf8).write(to: URL(fileURLWithPath: path))
    }

    /// The settings for the config's default upstream.
    func settings(metrics: KeeperMetrics = KeeperMetrics()) throws -> ServeSettings {
        try ServeSettings(command: [], url: nil, transport: nil, configPath: path, upstream: nil, name: nil, logPath: nil, shutdownGrace: nil,
                          metrics: metrics)
    }
}
