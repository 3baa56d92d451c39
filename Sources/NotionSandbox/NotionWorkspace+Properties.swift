import KeeperCore

/// Request property values and rich text turned into stored, response-shaped values.
extension NotionWorkspace {
    /// Stored property entries for `input` (keyed by property name or id) under `parent`'s schema.
    /// Mutating because an unknown select option joins the schema, as it does in Notion.
    mutating func propertyEntries(from input: JSONObject, parent: Parent) throws(NotionAPIError) -> JSONObject {
        var entries = JSONObject()
        for (key, raw) in input {
            guard let property = schema(for: parent).first(where: { $0.name == key || $0.id == key }) else {
                throw .validation("\(key) is not a property that exists.")
            }
            let value = try propertyValue(raw, for: property, parent: parent)
            entries[property.name] = Self.entry(property, value)
        }
        return entries
    }

    /// Entries for every schema property: the `given` entry where there is one, else the default.
    func completeEntries(_ given: JSONObject, parent: Parent) -> JSONObject {
        var entries = JSONObject()
        for property in schema(for: parent) {
            entries[property.name] = given[property.name] ?? Self.entry(property, Self.defaultValue(for: property))
        }
        return entries
    }

    static func entry(_ property: PropertySchema, _ value: JSONValue) -> JSONValue {
        ["id": .string(property.id), "type": .string(property.type), property.type: value]
    }

    static func defaultValue(for property: PropertySchema) -> JSONValue {
        switch property.type {
        case "title", "rich_text": return []
        case "checkbox": return false
        // Notion gives a new page the status property's first option ("Not started").
        case "status": return property.options.first.map(render) ?? .null
        default: return .null
        }
    }

    private mutating func propertyValue(_ raw: JSONValue, for property: PropertySchema, parent: Parent) throws(NotionAPIError) -> JSONValue {
        let type = property.type
        let field = "body.properties.\(property.name).\(type)"
        let value: JSONValue
        if case .object(let wrapper) = raw, let inner = wrapper[type] {
            value = inner
        } else if case .array = raw, type == "title" || type == "rich_text" {
            value = raw  // Notion's own examples give a page title as the bare array.
        } else {
            throw .validation("body failed validation: \(field) should be defined, instead was `undefined`.")
        }
        func invalid(_ expected: String) -> NotionAPIError {
            .validation("body failed validation: \(field) should be \(expected), instead was `\(value.serialized())`.")
        }
        switch type {
        case "title", "rich_text":
            guard let items = value.arrayValue else { throw invalid("an array") }
            return try Self.richText(from: items, field: field)
        case "number":
            guard value.isNull || value.numberValue != nil else { throw invalid("a number or `null`") }
            return value
        case "checkbox":
            guard value.boolValue != nil else { throw invalid("a boolean") }
            return value
        case "date":
            if value.isNull { return .null }
            guard let start = value["start"]?.stringValue else { throw invalid("an object with a `start` string") }
            return ["start": .string(start), "end": value["end"] ?? .null, "time_zone": value["time_zone"] ?? .null]
        case "select", "status":
            if value.isNull, type == "select" { return .null }
            guard let wanted = value["name"]?.stringValue ?? value["id"]?.stringValue else {
                throw invalid("an object with a `name` or `id`")
            }
            if let option = property.options.first(where: { $0.name == wanted || $0.id == wanted }) {
                return Self.render(option)
            }
            guard type == "select", case .dataSource(let sourceID, _) = parent else {
                throw .validation("Invalid status option. Status option \"\(wanted)\" does not exist.")
            }
            let option = SelectOption(id: mintID(), name: wanted, color: "default")
            if let index = dataSources[sourceID]?.properties.firstIndex(where: { $0.id == property.id }) {
                dataSources[sourceID]?.properties[index].options.append(option)
            }
            return Self.render(option)
        default:
            return value
        }
    }

    /// Response-shaped rich text from request items (`{"text": {"content", "link"?}, "annotations"?}`).
    static func richText(from items: [JSONValue], field: String) throws(NotionAPIError) -> JSONValue {
        var result: [JSONValue] = []
        for (index, item) in items.enumerated() {
            let path = "\(field)[\(index)].text.content"
            guard let content = item["text"]?["content"]?.stringValue else {
                throw .validation("body failed validation: \(path) should be defined, instead was `undefined`.")
            }
            guard content.count <= 2000 else {
                throw .validation("body failed validation: \(path).length should be ≤ `2000`, instead was `\(content.count)`.")
            }
            var rendered = richText(content, link: item["text"]?["link"]?["url"]?.stringValue)
            if let requested = item["annotations"]?.objectValue, case .object(var object) = rendered {
                var annotations = defaultAnnotations
                for (key, value) in requested where annotations[key] != nil { annotations[key] = value }
                object["annotations"] = .object(annotations)
                rendered = .object(object)
            }
            result.append(rendered)
        }
        return .array(result)
    }

    /// Whether a page passes a query filter. Supports `and`/`or`, checkbox, select and status
    /// `equals`/`does_not_equal`/`is_empty`/`is_not_empty`, and title/rich_text `equals`/`contains`;
    /// anything else is ignored (passes) rather than refused.
    func matches(_ page: Page, filter: JSONObject) -> Bool {
        if let all = filter["and"]?.arrayValue {
            return all.allSatisfy { $0.objectValue.map { matches(page, filter: $0) } ?? true }
        }
        if let any = filter["or"]?.arrayValue, !any.isEmpty {
            return any.contains { $0.objectValue.map { matches(page, filter: $0) } ?? true }
        }
        guard let key = filter["property"]?.stringValue,
              let property = schema(for: page.parent).first(where: { $0.name == key || $0.id == key }),
              let condition = filter[property.type]?.objectValue
        else { return true }
        let value = page.properties[property.name]?[property.type]
        let comparable: JSONValue?
        switch property.type {
        case "checkbox": comparable = value
        case "select", "status": comparable = value?["name"]
        case "title", "rich_text":
            let text = Self.plainText(value)
            if let needle = condition["contains"]?.stringValue { return text.lowercased().contains(needle.lowercased()) }
            comparable = text.isEmpty ? nil : .string(text)
        default: return true
        }
        if let wanted = condition["equals"] { return comparable == wanted }
        if let unwanted = condition["does_not_equal"] { return comparable != unwanted }
        if condition["is_empty"] != nil { return comparable == nil || comparable == .null }
        if condition["is_not_empty"] != nil { return comparable != nil && comparable != .null }
        return true
    }
}
