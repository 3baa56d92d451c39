/// A reload that validated but cannot be applied without a restart.
struct ReloadRefusal: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
