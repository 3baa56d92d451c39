import KeeperCore

/// Objects rendered in the shapes of Notion API 2025-09-03 responses.
extension NotionWorkspace {
    func render(_ user: User) -> JSONValue {
        var object: JSONObject = ["object": "user", "id": .string(user.id), "name": .string(user.name), "avatar_url": nil]
        switch user.kind {
        case .person(let email):
            object["type"] = "person"
            object["person"] = ["email": .string(email)]
        case .bot:
            object["type"] = "bot"
            object["bot"] = ["owner": ["type": "workspace", "workspace": true], "workspace_name": "Sandbox"]
        }
        return .object(object)
    }

    static func userReference(_ id: String) -> JSONValue { ["object": "user", "id": .string(id)] }

    static func render(_ parent: Parent) -> JSONValue {
        switch parent {
        case .workspace: return ["type": "workspace", "workspace": true]
        case .page(let id): return ["type": "page_id", "page_id": .string(id)]
        case .block(let id): return ["type": "block_id", "block_id": .string(id)]
        case .dataSource(let id, let databaseID):
            return ["type": "data_source_id", "data_source_id": .string(id), "database_id": .string(databaseID)]
        }
    }

    func render(_ page: Page) -> JSONValue {
        [
            "object": "page", "id": .string(page.id),
            "created_time": .string(page.createdTime), "last_edited_time": .string(page.lastEditedTime),
            "created_by": Self.userReference(page.createdBy), "last_edited_by": Self.userReference(page.lastEditedBy),
            "cover": page.cover, "icon": page.icon, "parent": Self.render(page.parent),
            "archived": .bool(page.inTrash), "in_trash": .bool(page.inTrash), "is_locked": false,
            "properties": .object(page.properties),
            "url": .string(Self.url(title: title(of: page), id: page.id)), "public_url": nil,
        ]
    }

    /// A block by id: a stored block, or the child-page or child-database view of a page or database.
    func renderBlock(_ id: String) -> JSONValue? {
        if let block = blocks[id] { return render(block) }
        if let page = pages[id] {
            return blockJSON(
                id: id, parent: page.parent, type: "child_page", body: ["title": .string(title(of: page))],
                inTrash: page.inTrash, times: (page.createdTime, page.lastEditedTime),
                editors: (page.createdBy, page.lastEditedBy))
        }
        if let database = databases[id] {
            return blockJSON(
                id: id, parent: database.parent, type: "child_database", body: ["title": .string(database.title)],
                inTrash: database.inTrash, times: (database.createdTime, database.lastEditedTime),
                editors: (botUserID, botUserID))
        }
        return nil
    }

    func render(_ block: Block) -> JSONValue {
        blockJSON(
            id: block.id, parent: block.parent, type: block.type, body: block.body, inTrash: block.inTrash,
            times: (block.createdTime, block.lastEditedTime), editors: (block.createdBy, block.lastEditedBy))
    }

    private func blockJSON(
        id: String, parent: Parent, type: String, body: JSONObject, inTrash: Bool,
        times: (created: String, edited: String), editors: (created: String, edited: String)
    ) -> JSONValue {
        [
            "object": "block", "id": .string(id), "parent": Self.render(parent),
            "created_time": .string(times.created), "last_edited_time": .string(times.edited),
            "created_by": Self.userReference(editors.created), "last_edited_by": Self.userReference(editors.edited),
            "has_children": .bool(!liveChildren(of: id).isEmpty),
            "archived": .bool(inTrash), "in_trash": .bool(inTrash),
            "type": .string(type), type: .object(body),
        ]
    }

    func render(_ source: DataSource) -> JSONValue {
        var properties = JSONObject()
        for property in source.properties {
            var entry: JSONObject = [
                "id": .string(property.id), "name": .string(property.name), "type": .string(property.type),
                "description": "",
            ]
            switch property.type {
            case "select", "status": entry[property.type] = ["options": .array(property.options.map(Self.render))]
            case "number": entry["number"] = ["format": "number"]
            default: entry[property.type] = [:]
            }
            properties[property.name] = .object(entry)
        }
        let databaseParent = databases[source.databaseID].map { Self.render($0.parent) } ?? .null
        return [
            "object": "data_source", "id": .string(source.id),
            "created_time": .string(source.createdTime), "last_edited_time": .string(source.lastEditedTime),
            "created_by": Self.userReference(source.createdBy), "last_edited_by": Self.userReference(source.createdBy),
            "title": [Self.richText(source.title)], "description": [], "icon": nil, "cover": nil,
            "properties": .object(properties),
            "parent": ["type": "database_id", "database_id": .string(source.databaseID)],
            "database_parent": databaseParent,
            "archived": .bool(source.inTrash), "in_trash": .bool(source.inTrash), "is_inline": false,
            "url": .string(Self.url(title: source.title, id: source.id)), "public_url": nil,
        ]
    }

    func render(_ database: Database) -> JSONValue {
        let sources: [JSONValue] = database.dataSourceIDs.map { id in
            ["id": .string(id), "name": .string(dataSources[id]?.title ?? "")]
        }
        return [
            "object": "database", "id": .string(database.id),
            "title": [Self.richText(database.title)], "description": [],
            "parent": Self.render(database.parent), "is_inline": false,
            "in_trash": .bool(database.inTrash), "is_locked": false,
            "created_time": .string(database.createdTime), "last_edited_time": .string(database.lastEditedTime),
            "data_sources": .array(sources), "icon": nil, "cover": nil,
            "url": .string(Self.url(title: database.title, id: database.id)), "public_url": nil,
        ]
    }

    static func render(_ comment: Comment) -> JSONValue {
        [
            "object": "comment", "id": .string(comment.id), "parent": render(comment.parent),
            "discussion_id": .string(comment.discussionID),
            "created_time": .string(comment.createdTime), "last_edited_time": .string(comment.createdTime),
            "created_by": userReference(comment.createdBy), "rich_text": comment.richText,
        ]
    }

    static func render(_ option: SelectOption) -> JSONValue {
        ["id": .string(option.id), "name": .string(option.name), "color": .string(option.color)]
    }

    /// A paginated list; `type` names what the results are, with the empty object Notion pairs it with.
    static func list(_ results: [JSONValue], next: String?, type: String) -> JSONValue {
        [
            "object": "list", "results": .array(results),
            "next_cursor": next.map(JSONValue.string) ?? .null, "has_more": .bool(next != nil),
            "type": .string(type), type: [:],
        ]
    }

    /// One plain-text rich text object with default annotations.
    static func richText(_ content: String, link: String? = nil) -> JSONValue {
        let linkValue: JSONValue = link.map { ["url": .string($0)] } ?? .null
        return [
            "type": "text", "text": ["content": .string(content), "link": linkValue],
            "annotations": .object(defaultAnnotations), "plain_text": .string(content),
            "href": link.map(JSONValue.string) ?? .null,
        ]
    }

    static let defaultAnnotations: JSONObject = [
        "bold": false, "italic": false, "strikethrough": false, "underline": false, "code": false,
        "color": "default",
    ]

    /// The concatenated `plain_text` of a rich text array.
    static func plainText(_ richText: JSONValue?) -> String {
        (richText?.arrayValue ?? []).compactMap { $0["plain_text"]?.stringValue }.joined()
    }

    /// `https://www.notion.so/Title-Words-<id without dashes>`, as Notion builds page URLs.
    static func url(title: String, id: String) -> String {
        let words = title.split(whereSeparator: { !$0.isLetter && !$0.isNumber })
        let compactID = id.filter { $0 != "-" }
        return "https://www.notion.so/" + (words + [Substring(compactID)]).joined(separator: "-")
    }
}
