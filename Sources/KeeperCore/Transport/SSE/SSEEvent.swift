/// One Server-Sent Event: a message dispatched by a blank line in a `text/event-stream`.
public struct SSEEvent: Sendable, Equatable {
    /// The last event ID in force when the event was dispatched; `nil` when none was set.
    public var id: String?
    /// The event type; `nil` means the default type, "message".
    public var event: String?
    /// The payload, its `data` lines joined with "\n".
    public var data: String
    /// The reconnection delay in milliseconds sent with this event, if any.
    public var retry: Int?

    public init(id: String? = nil, event: String? = nil, data: String, retry: Int? = nil) {
        self.id = id
        self.event = event
        self.data = data
        self.retry = retry
    }
}
