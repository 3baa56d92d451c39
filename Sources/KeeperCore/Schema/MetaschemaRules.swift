/// The metaschema's rules for the keywords MCP tool schemas use, per draft, each with the fix `safe`
/// repair applies: an alias becomes its type name, duplicates go, and a value the metaschema does not
/// allow is dropped. Valid keywords are never touched, so a valid schema accepts exactly what it did.
///
/// Written out rather than read from the metaschema documents: the 2020-12 metaschema needs
/// `$dynamicRef`, which the validator leaves out, and a rule here can say how to fix what it finds.
enum MetaschemaRules {
    static let typeNames: Set<String> = ["null", "boolean", "object", "array", "number", "string", "integer"]
    /// Type names generators write that JSON Schema spells otherwise.
    static let typeAliases = ["int": "integer", "long": "integer", "float": "number", "double": "number", "bool": "boolean"]

    static let nonNegativeIntegerKeywords = ["minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties",
                                             "minContains", "maxContains"]
    static let numberKeywords = ["minimum", "maximum"]
    static let stringKeywords = ["$ref", "$schema", "$id", "$comment", "title", "description", "format", "pattern"]
    static let booleanKeywords = ["uniqueItems", "readOnly", "writeOnly", "deprecated"]
    static let schemaKeywords = ["not", "if", "then", "else", "contains", "additionalProperties", "propertyNames",
                                 "additionalItems", "unevaluatedItems", "unevaluatedProperties", "contentSchema"]
    static let schemaListKeywords = ["allOf", "anyOf", "oneOf", "prefixItems"]
    static let schemaMapKeywords = ["properties", "patternProperties", "$defs", "definitions", "dependentSchemas"]

    /// The schema object with every keyword the draft's metaschema rejects fixed or dropped, and a
    /// finding for each change.
    static func fix(_ keywords: JSONObject, at pointer: String, draft: SchemaDocument.Draft) -> (JSONObject, [SchemaFinding]) {
        var fixer = Fixer(keywords: keywords, pointer: pointer, draft: draft)
        fixer.fixType()
        fixer.fixRequired()
        fixer.fixBounds()
        fixer.fixShapes()
        fixer.fixItems()
        return (fixer.keywords, fixer.findings)
    }

    static func isSchema(_ value: JSONValue) -> Bool {
        switch value {
        case .object, .bool: return true
        default: return false
        }
    }

    static func isNonNegativeInteger(_ value: JSONValue) -> Bool {
        guard case .number(let n) = value else { return false }
        return n.isInteger && !n.text.hasPrefix("-")
    }
}

/// One schema object being fixed, with the findings so far.
private struct Fixer {
    var keywords: JSONObject
    let pointer: String
    let draft: SchemaDocument.Draft
    var findings: [SchemaFinding] = []

    private mutating func note(_ keyword: String, _ message: String, _ repair: String) {
        findings.append(SchemaFinding(pointer: JSONPointer.appending(pointer, keyword), kind: .metaschema,
                                      message: message, repair: repair))
    }

    private mutating func drop(_ keyword: String, because why: String) {
        keywords[keyword] = nil
        note(keyword, why, "removed \"\(keyword)\"")
    }

    /// `type`: a known name or a non-empty array of distinct known names.
    mutating func fixType() {
        guard let type = keywords["type"] else { return }
        let names: [JSONValue]
        switch type {
        case .string: names = [type]
        case .array(let list): names = list
        default:
            drop("type", because: "\"type\" must be a type name or an array of them, got \(SchemaWording.describe(type))")
            return
        }
        var kept: [String] = []
        var changes: [String] = []
        for name in names {
            guard let text = name.stringValue else {
                changes.append("dropped \(SchemaWording.describe(name))")
                continue
            }
            let canonical = MetaschemaRules.typeNames.contains(text) ? text : MetaschemaRules.typeAliases[text]
            guard let canonical else {
                changes.append("dropped the unknown type \(SchemaWording.quote(text))")
                continue
            }
            if canonical != text { changes.append("\(SchemaWording.quote(text)) became \(SchemaWording.quote(canonical))") }
            if kept.contains(canonical) {
                changes.append("dropped a repeated \(SchemaWording.quote(canonical))")
            } else {
                kept.append(canonical)
            }
        }
        guard !changes.isEmpty else { return }
        let message = "\"type\" may only name null, boolean, object, array, number, string or integer, each once"
        if kept.isEmpty {
            drop("type", because: message)
        } else {
            keywords["type"] = type.stringValue != nil && kept.count == 1 ? .string(kept[0]) : .array(kept.map(JSONValue.string))
            note("type", message, changes.joined(separator: "; "))
        }
    }

    /// `required`: an array of distinct strings; draft-04 also forbids an empty one.
    mutating func fixRequired() {
        guard let required = keywords["required"] else { return }
        guard case .array(let names) = required else {
            drop("required", because: "\"required\" must be an array of property names, got \(SchemaWording.describe(required))")
            return
        }
        var kept: [String] = []
        for case .string(let name) in names where !kept.contains(name) { kept.append(name) }
        if kept.isEmpty, draft == .draft04 {
            drop("required", because: "draft-04 does not allow an empty \"required\" array")
        } else if kept.count != names.count {
            keywords["required"] = .array(kept.map(JSONValue.string))
            note("required", "\"required\" must list distinct strings", "kept \(SchemaWording.plural(kept.count, "name")), dropped the rest")
        }
    }

    /// Numeric keywords, and `exclusiveMinimum` / `exclusiveMaximum` in the form the draft uses.
    mutating func fixBounds() {
        for keyword in MetaschemaRules.nonNegativeIntegerKeywords {
            if let value = keywords[keyword], !MetaschemaRules.isNonNegativeInteger(value) {
                drop(keyword, because: "\"\(keyword)\" must be a non-negative integer, got \(SchemaWording.describe(value))")
            }
        }
        for keyword in MetaschemaRules.numberKeywords {
            if let value = keywords[keyword], value.numberValue == nil {
                drop(keyword, because: "\"\(keyword)\" must be a number, got \(SchemaWording.describe(value))")
            }
        }
        if let value = keywords["multipleOf"], !(value.doubleValue.map { $0 > 0 } ?? false) {
            drop("multipleOf", because: "\"multipleOf\" must be a number above 0, got \(SchemaWording.describe(value))")
        }
        for (exclusive, inclusive) in [("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")] {
            guard let value = keywords[exclusive] else { continue }
            if draft.hasBooleanExclusiveBounds {
                if value.boolValue == nil { drop(exclusive, because: "in draft-04 \"\(exclusive)\" is a boolean, got \(SchemaWording.describe(value))") }
            } else if case .bool(let flag) = value {
                // The draft-04 form in a later draft: `minimum: 5, exclusiveMinimum: true` meant "above 5".
                if flag, let bound = keywords[inclusive], bound.numberValue != nil {
                    keywords[exclusive] = bound
                    keywords[inclusive] = nil
                    note(exclusive, "\"\(exclusive)\": true is the draft-04 form; this draft takes the bound itself",
                         "\"\(exclusive)\" became \(bound.serialized()) and \"\(inclusive)\" was removed")
                } else {
                    drop(exclusive, because: "\"\(exclusive)\" must be a number in this draft, got \(SchemaWording.describe(value))")
                }
            } else if value.numberValue == nil {
                drop(exclusive, because: "\"\(exclusive)\" must be a number, got \(SchemaWording.describe(value))")
            }
        }
    }

    /// Keywords whose values must be strings, booleans, arrays, subschemas or maps of subschemas.
    mutating func fixShapes() {
        for keyword in MetaschemaRules.stringKeywords {
            if let value = keywords[keyword], value.stringValue == nil {
                drop(keyword, because: "\"\(keyword)\" must be a string, got \(SchemaWording.describe(value))")
            }
        }
        for keyword in MetaschemaRules.booleanKeywords {
            if let value = keywords[keyword], value.boolValue == nil {
                drop(keyword, because: "\"\(keyword)\" must be a boolean, got \(SchemaWording.describe(value))")
            }
        }
        for keyword in ["enum", "examples"] {
            if let value = keywords[keyword], value.arrayValue == nil {
                drop(keyword, because: "\"\(keyword)\" must be an array, got \(SchemaWording.describe(value))")
            }
        }
        for keyword in MetaschemaRules.schemaKeywords {
            if let value = keywords[keyword], !MetaschemaRules.isSchema(value) {
                drop(keyword, because: "\"\(keyword)\" must be a schema (an object or a boolean), got \(SchemaWording.describe(value))")
            }
        }
        for keyword in MetaschemaRules.schemaListKeywords {
            guard let value = keywords[keyword] else { continue }
            if case .array(let list) = value, !list.isEmpty, list.allSatisfy(MetaschemaRules.isSchema) { continue }
            drop(keyword, because: "\"\(keyword)\" must be a non-empty array of schemas, got \(SchemaWording.describe(value))")
        }
        for keyword in MetaschemaRules.schemaMapKeywords {
            guard let value = keywords[keyword] else { continue }
            guard case .object(var map) = value else {
                drop(keyword, because: "\"\(keyword)\" must be an object of schemas, got \(SchemaWording.describe(value))")
                continue
            }
            for (name, member) in map where !MetaschemaRules.isSchema(member) {
                map[name] = nil
                findings.append(SchemaFinding(
                    pointer: JSONPointer.appending(pointer, keyword, name), kind: .metaschema,
                    message: "each member of \"\(keyword)\" must be a schema, got \(SchemaWording.describe(member))",
                    repair: "removed the member"))
            }
            keywords[keyword] = .object(map)
        }
    }

    /// `items`: one schema from 2020-12 on (the array form is `prefixItems` there), else a schema or
    /// an array of them.
    mutating func fixItems() {
        guard let items = keywords["items"] else { return }
        switch items {
        case .object, .bool:
            return
        case .array(let list) where list.allSatisfy(MetaschemaRules.isSchema):
            guard draft.hasPrefixItems else { return }
            guard keywords["prefixItems"] == nil else {
                drop("items", because: "in draft 2020-12 \"items\" is one schema; the array form is \"prefixItems\", which is already present")
                return
            }
            // The draft-07 meaning, spelled in 2020-12: the listed schemas apply by position,
            // `additionalItems` to the rest.
            var rebuilt = JSONObject()
            for (key, value) in keywords {
                switch key {
                case "items": rebuilt["prefixItems"] = .array(list)
                case "additionalItems": continue
                default: rebuilt[key] = value
                }
            }
            if let rest = keywords["additionalItems"] { rebuilt["items"] = rest }
            keywords = rebuilt
            note("items", "in draft 2020-12 \"items\" is one schema; an array of schemas is \"prefixItems\"",
                 "renamed to \"prefixItems\"\(keywords["items"] == nil ? "" : ", and \"additionalItems\" to \"items\"")")
        default:
            drop("items", because: "\"items\" must be a schema, got \(SchemaWording.describe(items))")
        }
    }
}
