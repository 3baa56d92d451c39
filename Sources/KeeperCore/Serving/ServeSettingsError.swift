/// Serve's flags and config name no upstream it can run, or give one in a form it cannot read.
public struct ServeSettingsError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
