/// What Notion made of a request, as mcpkeeper reads it from whatever a server returned: the class
/// decides whether a call is retried, which hint an agent gets and how a probe is judged.
public enum NotionOutcome: String, Sendable, CaseIterable {
    case success
    case rateLimited = "rate_limited"
    case unauthorized
    /// 403: the token is good but may not touch this (`restricted_resource`).
    case restricted
    case notFound = "not_found"
    case invalidRequest = "invalid_request"
    case conflict
    case serverError = "server_error"
    /// An error (`isError`, a JSON-RPC error) in which no rule finds Notion's verdict.
    case otherError = "other_error"

    /// Notion's error code standing for the class, to look up a remediation when the server kept
    /// only the HTTP status or a message.
    public var notionCode: String? {
        switch self {
        case .rateLimited: return "rate_limited"
        case .unauthorized: return "unauthorized"
        case .restricted: return "restricted_resource"
        case .notFound: return "object_not_found"
        case .invalidRequest: return "validation_error"
        case .conflict: return "conflict_error"
        case .serverError: return "internal_server_error"
        case .success, .otherError: return nil
        }
    }

    /// The class of one of Notion's error codes (https://developers.notion.com/reference/status-codes);
    /// nil for anything else, so a word that merely looks like a code decides nothing.
    public static func of(code: String) -> NotionOutcome? {
        switch code {
        // 529 `service_overload` asks for the same treatment as 429: wait Retry-After, Notion did not act.
        case "rate_limited", "service_overload": return .rateLimited
        case "unauthorized": return .unauthorized
        case "restricted_resource": return .restricted
        case "object_not_found": return .notFound
        case "validation_error", "invalid_json", "invalid_request_url", "invalid_request", "missing_version": return .invalidRequest
        case "conflict_error": return .conflict
        case "internal_server_error", "service_unavailable", "database_connection_unavailable", "gateway_timeout", "bad_gateway":
            return .serverError
        default: return nil
        }
    }

    /// The class of an HTTP error status; nil for one that is not an error.
    public static func of(status: Int) -> NotionOutcome? {
        switch status {
        case 429, 529: return .rateLimited
        case 401: return .unauthorized
        case 403: return .restricted
        case 404: return .notFound
        case 409: return .conflict
        case 400, 405...408, 410...428, 430...499: return .invalidRequest
        case 500...599: return .serverError
        default: return nil
        }
    }
}

/// One classification: the class, the rule that decided it and where it found the verdict, with
/// what Notion said (status, code, message) and the wait it asked for, when it did.
public struct NotionVerdict: Sendable, Equatable {
    public var outcome: NotionOutcome
    /// The deciding rule: a built-in's name (`NotionVerdict.Rule`) or `user:NAME`.
    public var rule: String
    /// Where the verdict was found: a JSON pointer into the result (or the JSON-RPC error), and
    /// after `#` a pointer into JSON text held there, e.g. `/content/0/text#/details`.
    public var location: String
    public var status: Int?
    public var code: String?
    public var message: String?
    /// Retry-After, a `retry_after`-like field or "retry after N seconds" in the text.
    public var retryAfter: Duration?

    public init(outcome: NotionOutcome, rule: String, location: String, status: Int? = nil, code: String? = nil,
                message: String? = nil, retryAfter: Duration? = nil) {
        self.outcome = outcome
        self.rule = rule
        self.location = location
        self.status = status
        self.code = code
        self.message = message
        self.retryAfter = retryAfter
    }

    /// Nothing in the answer says it failed.
    public static let success = NotionVerdict(outcome: .success, rule: Rule.none, location: "")

    /// Notion's code when the server passed it on, else the code standing for the class.
    public var effectiveCode: String? { code ?? outcome.notionCode }

    /// The built-in rules' names, as logs, metrics and `mcpkeeper classify` show them.
    public enum Rule {
        public static let none = "none"
        /// A content item's whole text is Notion's error object (the official npm server).
        public static let errorText = "notion_error_text"
        /// Notion's error object nested in JSON text (under `details`, `error`, a JSON string, …).
        public static let errorNested = "notion_error_nested"
        /// Notion's error object in `structuredContent` (Notion's hosted server, FastMCP servers).
        public static let errorStructured = "notion_error_structured"
        /// Notion's error object in a JSON-RPC error's `data`.
        public static let errorData = "notion_error_data"
        /// Plain text carrying an HTTP status with Notion's code or message (`Status: 429`…).
        public static let statusText = "status_text"
        /// The HTTP status an HTTP upstream answered with.
        public static let httpStatus = "http_status"
        /// `isError: true` (or a JSON-RPC error) with nothing of Notion's in it.
        public static let isError = "is_error"
    }
}
