import Foundation
import KeeperCore
import Testing

/// What a user writes into Notion is never read as Notion's verdict on the call that wrote it: a
/// block whose text is Notion's rate-limit error object, appended through the proxy, is appended
/// once, not re-sent as if Notion had refused it.
@Suite("User content that looks like a Notion error")
struct UserContentVerdictTests {
    static let lookalike = #"{"object":"error","status":429,"code":"rate_limited","message":"You have been rate limited."}"#

    @Test("appending a block whose text is Notion's 429 error object applies it once and answers success")
    func appendedOnce() async throws {
        let proxy = try ProxyProcess(["serve", "--", try Binary.path(), "sandbox"])
        try await ResilienceTests.initialized(proxy)
        proxy.request(2, "tools/call", ["name": "API-post-search", "arguments": [:]])
        let (search, _) = try await proxy.response(to: 2)
        let listing = try JSONParser.parse(try #require(search["result"]?["content"]?.arrayValue?.first?["text"]?.stringValue))
        let page = try #require(listing["results"]?.arrayValue?.first { $0["object"] == "page" }?["id"]?.stringValue)

        let paragraph: JSONValue = ["rich_text": [["type": "text", "text": ["content": .string(Self.lookalike)]]]]
        proxy.request(3, "tools/call", ["name": "API-patch-block-children", "arguments": [
            "block_id": .string(page), "children": [["type": "paragraph", "paragraph": paragraph]],
        ]])
        let (append, _) = try await proxy.response(to: 3)
        #expect(append["result"]?["isError"] != true, "\(append)")

        proxy.request(4, "tools/call", ["name": "API-get-block-children", "arguments": ["block_id": .string(page), "page_size": 100]])
        let (children, _) = try await proxy.response(to: 4)
        let text = try #require(children["result"]?["content"]?.arrayValue?.first?["text"]?.stringValue)
        let blocks = try JSONParser.parse(text)["results"]?.arrayValue ?? []
        let copies = blocks.filter { block in
            block["paragraph"]?["rich_text"]?.arrayValue?.first?["plain_text"]?.stringValue == Self.lookalike
        }
        #expect(copies.count == 1, "the append was sent \(copies.count) times")
        proxy.closeInput()
        _ = await proxy.waitForExit()
        #expect(!proxy.stderr.contains("retrying"), "\(proxy.stderr)")
    }
}
