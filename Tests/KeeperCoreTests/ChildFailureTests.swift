@testable import KeeperCore
import Testing

@Suite("ChildFailure: which failures no restart can cure")
struct ChildFailureTests {
    private func failure(_ stderr: [String], exit: ChildExit = .exited(1)) -> ChildFailure {
        ChildFailure(command: "npx -y @notionhq/notion-mcp-server", exit: exit, stderrTail: stderr)
    }

    @Test("a credential refusal in the last stderr lines needs a person, and the fix names the token", arguments: [
        "Error: request failed with status 401",
        "HTTP/1.1 401 Unauthorized",
        "APIResponseError: API token is invalid. (401)",
        "code: 401",
        "401",
        "NOTION_TOKEN is not set",
        "OPENAPI_MCP_HEADERS must be JSON",
    ])
    func credentialProblem(line: String) {
        let failure = failure(["starting", line])
        #expect(failure.needsAPerson, "\(line)")
        #expect(failure.fix?.contains("NOTION_TOKEN") == true)
    }

    @Test("digits 401 inside another number or word are no credential problem: the restarts go on", arguments: [
        "sandbox crashing on purpose fault=after applying call 165401",
        "listening on port 4011",
        "request id 401abc",
        "took 1.401 s",
        "offset -401",
        "processed 2,401,000 rows",
        "trace=ab401cd",
    ])
    func notACredentialProblem(line: String) {
        let failure = failure([line])
        #expect(!failure.needsAPerson, "\(line)")
        #expect(failure.fix == nil)
    }

    @Test("a missing or non-executable command needs a person whatever it printed")
    func missingCommand() {
        #expect(failure([], exit: .exited(127)).needsAPerson)
        #expect(failure([], exit: .exited(126)).needsAPerson)
        #expect(!failure(["segmentation fault"], exit: .signaled(11)).needsAPerson)
    }
}
