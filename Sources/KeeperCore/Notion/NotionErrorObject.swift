/// Notion's error object (`{"object":"error","status":429,"code":"rate_limited","message":"…"}`) as
/// servers pass it on: whole, or reshaped by a client library (`APIResponseError` with `code` and
/// `status`), or trimmed (Notion's hosted server keeps `code` and `message` under an `error` key).
struct NotionErrorObject: Equatable {
    var outcome: NotionOutcome
    var status: Int?
    var code: String?
    var message: String?

    /// The error object in `object`, if it is one: `code` is one of Notion's codes and something
    /// says it is an error (`object: "error"`, an HTTP error status, or it sits under a key `error`);
    /// or `object: "error"` with an HTTP error status. A page whose property happens to be named
    /// "code" is none of these.
    static func recognise(_ object: JSONObject, underErrorKey: Bool) -> NotionErrorObject? {
        let code = object["code"]?.stringValue
        let status = httpStatus(in: object)
        let isErrorObject = object["object"]?.stringValue == "error"
        let message = object["message"]?.stringValue
        if let code, let outcome = NotionOutcome.of(code: code), isErrorObject || status != nil || underErrorKey {
            return NotionErrorObject(outcome: outcome, status: status, code: code, message: message)
        }
        if isErrorObject, let status, let outcome = NotionOutcome.of(status: status) {
            return NotionErrorObject(outcome: outcome, status: status, code: code, message: message)
        }
        return nil
    }

    /// `status`, `status_code` or `statusCode`, as a number or a numeric string, when it is an HTTP error status.
    static func httpStatus(in object: JSONObject) -> Int? {
        for key in ["status", "status_code", "statusCode"] {
            guard let value = object[key] else { continue }
            let number = value.intValue ?? value.stringValue.flatMap { Int($0) }
            if let number, (400...599).contains(number) { return number }
        }
        return nil
    }
}
