/// Reads one object of the config with its JSON path, collecting problems instead of stopping at the
/// first: wrong types, bad values and unknown keys each become a `ConfigProblem`.
struct ConfigReader {
    let object: JSONObject
    let path: String

    init(_ object: JSONObject, path: String) {
        self.object = object
        self.path = path
    }

    func at(_ key: String) -> String { ConfigPath.join(path, key) }

    func rejectUnknownKeys(allowed: [String], problems: inout [ConfigProblem]) {
        for key in object.keys where !allowed.contains(key) {
            problems.append(ConfigProblem(.error, at(key), "unknown key; expected one of: \(allowed.joined(separator: ", "))"))
        }
    }

    func string(_ key: String, problems: inout [ConfigProblem]) -> String? {
        guard let value = object[key] else { return nil }
        guard let s = value.stringValue else { return wrongType(key, "a string", value, &problems) }
        return s
    }

    func bool(_ key: String, problems: inout [ConfigProblem]) -> Bool? {
        guard let value = object[key] else { return nil }
        guard let b = value.boolValue else { return wrongType(key, "true or false", value, &problems) }
        return b
    }

    func int(_ key: String, min: Int, problems: inout [ConfigProblem]) -> Int? {
        guard let value = object[key] else { return nil }
        guard let n = value.intValue, n >= min else { return wrongType(key, "an integer ≥ \(min)", value, &problems) }
        return n
    }

    func number(_ key: String, in range: ClosedRange<Double>, problems: inout [ConfigProblem]) -> Double? {
        guard let value = object[key] else { return nil }
        guard let d = value.doubleValue, range.contains(d) else {
            return wrongType(key, "a number from \(range.lowerBound.formatted()) to \(range.upperBound.formatted())", value, &problems)
        }
        return d
    }

    func duration(_ key: String, problems: inout [ConfigProblem]) -> Duration? {
        guard let value = object[key] else { return nil }
        // A JSON number is seconds, as a bare number in a string is.
        guard let text = value.stringValue ?? value.numberValue?.text, let d = DurationText.parse(text) else {
            return wrongType(key, DurationText.expectation, value, &problems)
        }
        return d
    }

    func choice(_ key: String, _ options: [String], problems: inout [ConfigProblem]) -> String? {
        guard let value = object[key] else { return nil }
        guard let s = value.stringValue, options.contains(s) else {
            return wrongType(key, "one of " + options.map { "\"\($0)\"" }.joined(separator: ", "), value, &problems)
        }
        return s
    }

    func strings(_ key: String, problems: inout [ConfigProblem]) -> [String]? {
        guard let value = object[key] else { return nil }
        guard let array = value.arrayValue else { return wrongType(key, "an array of strings", value, &problems) }
        var result: [String] = []
        for (i, element) in array.enumerated() {
            if let s = element.stringValue { result.append(s) } else {
                problems.append(ConfigProblem(.error, "\(at(key))[\(i)]", "expected a string, got \(element.serialized())"))
            }
        }
        return result
    }

    func stringMap(_ key: String, problems: inout [ConfigProblem]) -> [(String, String)]? {
        guard let value = object[key] else { return nil }
        guard let map = value.objectValue else { return wrongType(key, "an object of string values", value, &problems) }
        var result: [(String, String)] = []
        for (name, member) in map {
            if let s = member.stringValue { result.append((name, s)) } else {
                problems.append(ConfigProblem(.error, ConfigPath.join(at(key), name), "expected a string, got \(member.serialized())"))
            }
        }
        return result
    }

    func section(_ key: String, problems: inout [ConfigProblem]) -> ConfigReader? {
        guard let value = object[key] else { return nil }
        guard let nested = value.objectValue else { return wrongType(key, "an object", value, &problems) }
        return ConfigReader(nested, path: at(key))
    }

    private func wrongType<T>(_ key: String, _ expected: String, _ value: JSONValue, _ problems: inout [ConfigProblem]) -> T? {
        let shown = value.serialized()
        let clipped = shown.count > 60 ? String(shown.prefix(57)) + "..." : shown
        problems.append(ConfigProblem(.error, at(key), "expected \(expected), got \(clipped)"))
        return nil
    }
}
