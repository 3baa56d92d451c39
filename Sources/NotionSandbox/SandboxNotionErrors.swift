/// The Notion API errors the sandbox can be told to answer every call with (`--notion-error CODE`),
/// with the status and message Notion sends for each.
enum SandboxNotionErrors {
    static func status(of code: String) -> Int {
        switch code {
        case "validation_error": return 400
        case "unauthorized": return 401
        case "restricted_resource": return 403
        case "object_not_found": return 404
        case "conflict_error": return 409
        case "rate_limited": return 429
        case "service_unavailable": return 503
        default: return 500
        }
    }

    static func message(of code: String) -> String {
        switch code {
        case "validation_error": return "body failed validation: body.parent should be defined, instead was `undefined`."
        case "unauthorized": return "API token is invalid."
        case "restricted_resource": return "Insufficient permissions for this endpoint."
        case "object_not_found":
            return "Could not find page with ID: 59833787-2cf9-4fdf-8782-e53db20768a5. Make sure the relevant pages and databases are shared with your integration."
        case "conflict_error": return "Conflict occurred while saving. Please try again."
        case "rate_limited": return "You have been rate limited. Please try again in a few minutes."
        case "service_unavailable": return "Notion is unavailable, please try again later."
        default: return "Unexpected error occurred."
        }
    }
}
