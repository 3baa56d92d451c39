/// The string keywords: minLength/maxLength (counted in Unicode scalars, as JSON Schema counts
/// characters, not UTF-16 units), pattern, and format when it is asserted.
extension SchemaValidator {
    func checkString(_ string: String, _ keywords: JSONObject, _ at: Location, _ run: Evaluation) {
        let minimum = SchemaValidator.count(keywords["minLength"])
        let maximum = SchemaValidator.count(keywords["maxLength"])
        if minimum != nil || maximum != nil {
            let length = string.unicodeScalars.count
            if let minimum, length < minimum {
                run.report(at, "minLength", "expected at least \(SchemaWording.plural(minimum, "character")), got \(length)")
            }
            if let maximum, length > maximum {
                run.report(at, "maxLength", "expected at most \(SchemaWording.plural(maximum, "character")), got \(length)")
            }
        }
        // Preparation compiled every reachable pattern, or the initializer threw.
        if case .string(let pattern)? = keywords["pattern"], let regex = schema.patterns[pattern], !regex.matches(string) {
            run.report(at, "pattern", "expected a string matching the pattern \(SchemaWording.quote(pattern)), got \(SchemaWording.quote(string))")
        }
        if options.assertFormats, case .string(let format)? = keywords["format"],
            let checked = StringFormats.check(format, string), !checked.isValid
        {
            run.report(at, "format", "expected \(checked.expectation), got \(SchemaWording.quote(string))")
        }
    }
}
