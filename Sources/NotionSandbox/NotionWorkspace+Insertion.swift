import KeeperCore

/// The primitive changes both the seed and the write tools are made of.
extension NotionWorkspace {
    /// A block about to be appended: its type and type-specific body.
    struct NewBlock: Sendable {
        var type: String
        var body: JSONObject

        /// The text-bearing block types the sandbox accepts in requests.
        static let textTypes: Set<String> = [
            "paragraph", "heading_1", "heading_2", "heading_3", "bulleted_list_item", "numbered_list_item",
            "to_do", "quote",
        ]

        static func text(_ type: String, _ content: String, checked: Bool = false) -> NewBlock {
            var body: JSONObject = ["rich_text": [NotionWorkspace.richText(content)], "color": "default"]
            if type == "to_do" { body["checked"] = .bool(checked) }
            if type.hasPrefix("heading_") { body["is_toggleable"] = false }
            return NewBlock(type: type, body: body)
        }

        /// A block from a request object such as `{"type": "paragraph", "paragraph": {"rich_text": […]}}`.
        static func parse(_ value: JSONValue, field: String) throws(NotionAPIError) -> NewBlock {
            guard let object = NotionToolArguments.decodingString(value).objectValue else {
                throw .validation("body failed validation: \(field) should be an object, instead was `\(value.serialized())`.")
            }
            let type = object["type"]?.stringValue ?? object.keys.first(where: textTypes.contains)
            guard let type, textTypes.contains(type) else {
                let named = object["type"]?.serialized() ?? "undefined"
                throw .validation("body failed validation: \(field).type should be one of \(textTypes.sorted()), instead was `\(named)`.")
            }
            guard let content = object[type]?.objectValue else {
                throw .validation("body failed validation: \(field).\(type) should be defined, instead was `undefined`.")
            }
            var block = NewBlock.text(type, "")
            try block.apply(content, field: "\(field).\(type)")
            return block
        }

        /// Applies the updatable fields of a request body: `rich_text`, `checked` (to-dos) and `color`.
        mutating func apply(_ content: JSONObject, field: String) throws(NotionAPIError) {
            if let items = NotionToolArguments.decodingString(content["rich_text"] ?? .null).arrayValue {
                body["rich_text"] = try NotionWorkspace.richText(from: items, field: "\(field).rich_text")
            }
            if type == "to_do", let checked = content["checked"] {
                guard checked.boolValue != nil else {
                    throw .validation("body failed validation: \(field).checked should be a boolean, instead was `\(checked.serialized())`.")
                }
                body["checked"] = checked
            }
            if let color = content["color"]?.stringValue { body["color"] = .string(color) }
        }
    }

    mutating func addPerson(name: String, email: String) -> String {
        let id = mintID()
        users.append(User(id: id, name: name, kind: .person(email: email)))
        return id
    }

    /// Adds a page with `entries` (stored entries keyed by name; the rest get defaults) and returns its id.
    @discardableResult
    mutating func insertPage(parent: Parent, entries: JSONObject, by author: String) -> String {
        let id = mintID()
        let time = now()
        pages[id] = Page(
            id: id, parent: parent, properties: completeEntries(entries, parent: parent),
            createdTime: time, lastEditedTime: time, createdBy: author, lastEditedBy: author)
        pageOrder.append(id)
        if case .page(let container) = parent { children[container, default: []].append(id) }
        if case .block(let container) = parent { children[container, default: []].append(id) }
        return id
    }

    /// Appends blocks to a page or block, after the child `after` when given, and returns their ids.
    @discardableResult
    mutating func appendBlocks(_ new: [NewBlock], to container: String, after: String? = nil, by author: String) -> [String] {
        let parent: Parent = pages[container] != nil ? .page(container) : .block(container)
        var ids: [String] = []
        for block in new {
            let id = mintID()
            let time = now()
            blocks[id] = Block(
                id: id, parent: parent, type: block.type, body: block.body,
                createdTime: time, lastEditedTime: time, createdBy: author, lastEditedBy: author)
            ids.append(id)
        }
        var list = children[container] ?? []
        let position = after.flatMap { list.firstIndex(of: $0) }.map { $0 + 1 } ?? list.count
        list.insert(contentsOf: ids, at: position)
        children[container] = list
        return ids
    }

    /// Adds a database with one data source of the given schema under a page; returns both ids.
    mutating func insertDatabase(
        under page: String, title: String, properties: [PropertySchema], by author: String
    ) -> (database: String, dataSource: String) {
        let databaseID = mintID()
        let sourceID = mintID()
        let time = now()
        databases[databaseID] = Database(
            id: databaseID, parent: .page(page), title: title, dataSourceIDs: [sourceID],
            createdTime: time, lastEditedTime: time)
        dataSources[sourceID] = DataSource(
            id: sourceID, databaseID: databaseID, title: title, properties: properties,
            createdTime: time, lastEditedTime: time, createdBy: author)
        dataSourceOrder.append(sourceID)
        children[page, default: []].append(databaseID)
        return (databaseID, sourceID)
    }

    /// Adds a comment; a new discussion starts unless `discussionID` continues one.
    @discardableResult
    mutating func insertComment(on parent: Parent, discussionID: String? = nil, richText: JSONValue, by author: String) -> Comment {
        let comment = Comment(
            id: mintID(), parent: parent, discussionID: discussionID ?? mintID(), richText: richText,
            createdTime: now(), createdBy: author)
        comments.append(comment)
        return comment
    }

    /// Marks a page as edited now by `editor`.
    mutating func touchPage(_ id: String, by editor: String) {
        let time = now()
        pages[id]?.lastEditedTime = time
        pages[id]?.lastEditedBy = editor
    }
}
