import Foundation

/// What a whoami tool's answer says: who the credentials belong to, or Notion's verdict on them,
/// found by the same classifier the proxy uses, in whatever shape the server answers.
enum WhoamiAnswer: Equatable {
    case identity(String)
    case refused(NotionVerdict)

    static func read(_ message: JSONRPCMessage, classifier: NotionOutcomeClassifier, now: Date) -> WhoamiAnswer {
        let verdict = classifier.classify(message, now: now)
        guard verdict.outcome == .success, let result = message.result else { return .refused(verdict) }
        return .identity(identity(in: result) ?? "unknown")
    }

    /// The bot's (or user's) name: `name` of the JSON the tool returned, as text or as
    /// `structuredContent`, looking one level into wrappers (`bot`, `result`, `user`); else its id,
    /// else the start of the text.
    static func identity(in result: JSONValue) -> String? {
        let texts = result["content"]?.arrayValue?.compactMap { $0["text"]?.stringValue } ?? []
        var documents = texts.compactMap { text -> JSONValue? in
            guard ByteSearch.firstSignificantByte(of: text) == UInt8(ascii: "{") else { return nil }
            return try? JSONParser.parse(text)
        }
        if let structured = result["structuredContent"] { documents.append(structured) }
        for document in documents {
            if let name = name(in: document) { return name }
        }
        return texts.first.map { String($0.prefix(80)) }
    }

    private static func name(in document: JSONValue, depth: Int = 0) -> String? {
        if let name = document["name"]?.stringValue, !name.isEmpty { return name }
        if depth == 0 {
            for key in ["result", "user", "bot", "data"] {
                if let inner = document[key], let name = name(in: inner.stringValue.flatMap { try? JSONParser.parse($0) } ?? inner, depth: 1) {
                    return name
                }
            }
        }
        return depth == 0 ? document["id"]?.stringValue : nil
    }
}
