import Tracing

/// W3C trace context in the places MCP carries it: `params._meta.traceparent` (and `tracestate`) of
/// a request, and the `traceparent` header of an HTTP POST.
enum TraceContextCarrier {
    static let keys = ["traceparent", "tracestate"]

    /// The trace context the client sent with `message`, as `_meta` fields.
    static func fields(of message: JSONRPCMessage) -> [String: String] {
        guard let meta = message.params?["_meta"] else { return [:] }
        var fields: [String: String] = [:]
        for key in keys { fields[key] = meta[key]?.stringValue }
        return fields
    }

    /// The span context of `context` written into the request's `_meta`, replacing the client's.
    static func injecting(_ context: InstrumentationContext, into message: JSONRPCMessage) -> JSONRPCMessage {
        var fields: [String: String] = [:]
        InstrumentationSystem.tracer.inject(context, into: &fields, using: FieldInjector())
        var changed = message
        for key in keys {
            let value = fields[key].map(JSONValue.string)
            if value != nil || message.params?["_meta"]?[key] != nil { changed = changed.replacingMeta(key, with: value) }
        }
        return changed
    }

    /// The `_meta` trace context of a message, as the headers an HTTP upstream gets with it.
    static func headers(of message: JSONRPCMessage) -> [(name: String, value: String)] {
        guard message.params?["_meta"] != nil else { return [] }
        return fields(of: message).sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) }
    }

    /// A request POSTed with a `traceparent` header and no `_meta.traceparent`: the header's context
    /// moved into `_meta`, where the stages (and an upstream) find it whatever the transport.
    static func carrying(traceparent parent: String?, tracestate state: String?, into message: JSONRPCMessage) -> JSONRPCMessage {
        guard let parent, case .request = message.kind, message.params?["_meta"]?["traceparent"] == nil else { return message }
        var changed = message.replacingMeta("traceparent", with: .string(parent))
        if let state { changed = changed.replacingMeta("tracestate", with: .string(state)) }
        return changed
    }

    struct FieldExtractor: Extractor {
        func extract(key: String, from carrier: [String: String]) -> String? { carrier[key] }
    }

    struct FieldInjector: Injector {
        func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) { carrier[key] = value }
    }
}
