/// The `_meta` every 2026-07-28 request carries whatever its method (its version, the client's
/// capabilities), a rule of the spec's prose: the official schema's generic `JSONRPCRequest` does not
/// encode it, so `MCPMessageChecks` (which agrees with the schema on every fixture) leaves it out and
/// the validation stage asks this for the methods those checks do not cover.
public enum ModernRequestEnvelope {
    public static func check(method: String, params: JSONValue?, version: MCPProtocolVersion) -> [SchemaViolation] {
        guard version.isModern else { return [] }
        var report = MessageReport()
        let names = Definitions("JSONRPCRequest", params: "RequestParams", version)
        guard let (object, place) = report.params(params, of: method, names, required: true) else { return report.violations }
        report.requestMeta(of: object, at: place, version, legacySince: .v2025_11_25)
        return report.violations
    }
}
