/// A whoami recognised by its shape when its name is unknown: a tool that only reads, needs no
/// argument the probe cannot fill (`WhoamiArguments`) and is about the current user or bot ("me",
/// "self", "current user", the bot the token belongs to). Its name or description must say so; a
/// read-only tool alone is not enough.
enum WhoamiShape {
    static func fits(_ tool: JSONValue) -> Bool {
        guard let name = tool["name"]?.stringValue else { return false }
        guard WhoamiArguments.fill(tool) != nil, tool["annotations"]?["readOnlyHint"] != false, tool["annotations"]?["destructiveHint"] != true else { return false }
        let words = name.lowercased().split(whereSeparator: { !$0.isLetter })
        if words.contains("me") || words.contains("self") || words.contains("whoami") { return true }
        let description = (tool["description"]?.stringValue ?? "").lowercased()
        return ["current user", "bot user", "authenticated user", "users/me", "who am i", "the bot associated", "associated with the current api token",
                "associated with the api token", "associated with the token"].contains { description.contains($0) }
    }
}
