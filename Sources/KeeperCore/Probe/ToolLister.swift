import Logging

/// Fetches a server's whole tool list, for `mcpkeeper lint`: connect, `initialize`, every page of
/// `tools/list`, then a clean shutdown, all bounded by one timeout.
public struct ToolLister: Sendable {
    /// Why the tools could not be listed (the server could not be reached, refused, or took too long).
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
    }

    public func list(_ upstream: UpstreamTarget, name: String, timeout: Duration) async throws(Failure) -> [JSONValue] {
        let link: any UpstreamLink
        do {
            link = try upstream.connect(name: name, logger: logger)
        } catch {
            throw Failure(description: "cannot connect: \(error)")
        }
        let client = ProbeClient(link: link)
        await client.start()
        let work = Task { try await Self.fetch(client) }
        let timer = Task {
            try await Task.sleep(for: timeout)
            work.cancel()
        }
        let outcome = await work.result
        timer.cancel()
        await client.close(grace: work.isCancelled ? .milliseconds(200) : .seconds(2))
        switch outcome {
        case .success(let tools): return tools
        case .failure where work.isCancelled: throw Failure(description: "timed out after \(RetryStage.seconds(timeout)) s")
        case .failure(let error as Failure): throw error
        case .failure(let error): throw Failure(description: "\(error)")
        }
    }

    private static func fetch(_ client: ProbeClient) async throws -> [JSONValue] {
        let initialize = try await client.request("initialize", params: [
            "protocolVersion": .string(MCPProtocolVersion.latestLegacy.rawValue),
            "capabilities": [:],
            "clientInfo": ["name": "mcpkeeper-lint", "version": "1"],
        ])
        guard initialize.result != nil else { throw Failure(description: "initialize failed: \(errorText(initialize))") }
        await client.notify("notifications/initialized")
        var tools: [JSONValue] = []
        var cursor: String?
        repeat {
            let page = try await client.request("tools/list", params: cursor.map { ["cursor": .string($0)] })
            guard let result = page.result else { throw Failure(description: "tools/list failed: \(errorText(page))") }
            tools += result["tools"]?.arrayValue ?? []
            cursor = result["nextCursor"]?.stringValue
        } while cursor != nil
        return tools
    }

    private static func errorText(_ message: JSONRPCMessage) -> String {
        message.body["error"]?["message"]?.stringValue ?? message.body["error"]?.serialized() ?? "no result"
    }
}
