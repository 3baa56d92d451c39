import KeeperCore

/// The write tools. Each validates everything before changing anything, so a rejected call leaves the
/// workspace as it was (as Notion's API does).
extension NotionWorkspace {
    static let archivedMessage = "Can't edit block that is archived. You must unarchive the block before editing."

    mutating func postPage(_ args: NotionToolArguments) throws(NotionAPIError) -> JSONValue {
        let parent = try resolvePageParent(args.requiredObject("parent", in: "body"))
        let input = try args.requiredObject("properties", in: "body")
        let newBlocks = try parseBlocks(args.array("children", in: "body") ?? [])
        let icon = try args.object("icon", in: "body")
        let cover = try args.object("cover", in: "body")
        let entries = try propertyEntries(from: input, parent: parent)
        let id = insertPage(parent: parent, entries: entries, by: botUserID)
        pages[id]?.icon = icon.map { Self.typed($0, default: "emoji") } ?? .null
        pages[id]?.cover = cover.map { Self.typed($0, default: "external") } ?? .null
        appendBlocks(newBlocks, to: id, by: botUserID)
        return render(try page(id))
    }

    mutating func patchPage(_ args: NotionToolArguments) throws(NotionAPIError) -> JSONValue {
        var page = try self.page(args.id("page_id", in: "path"))
        let input = try args.object("properties", in: "body")
        let inTrash = try args.bool("in_trash", in: "body")
        let archived = try args.bool("archived", in: "body")
        let icon = try args.object("icon", in: "body")
        let cover = try args.object("cover", in: "body")
        let trash = inTrash ?? archived
        if page.inTrash, trash != false, input != nil || icon != nil || cover != nil {
            throw .validation(Self.archivedMessage)
        }
        for (name, entry) in try propertyEntries(from: input ?? [:], parent: page.parent) {
            page.properties[name] = entry
        }
        if let trash { page.inTrash = trash }
        if let icon { page.icon = Self.typed(icon, default: "emoji") }
        if let cover { page.cover = Self.typed(cover, default: "external") }
        pages[page.id] = page
        touchPage(page.id, by: botUserID)
        return render(try self.page(page.id))
    }

    mutating func appendChildren(_ args: NotionToolArguments) throws(NotionAPIError) -> JSONValue {
        let id = try args.id("block_id", in: "path")
        guard isContainer(id) else { throw .notFound("block", id) }
        guard !(pages[id]?.inTrash ?? blocks[id]?.inTrash ?? false) else { throw .validation(Self.archivedMessage) }
        let newBlocks = try parseBlocks(args.requiredArray("children", in: "body"))
        var after: String?
        if let raw = try args.string("after", in: "body") {
            guard let anchor = NotionToolArguments.normalizedID(raw), children[id]?.contains(anchor) == true else {
                throw .validation("body failed validation: body.after should be the ID of a child of block \(id), instead was `\"\(raw)\"`.")
            }
            after = anchor
        }
        let ids = appendBlocks(newBlocks, to: id, after: after, by: botUserID)
        if pages[id] != nil {
            touchPage(id, by: botUserID)
        } else {
            let time = now()
            blocks[id]?.lastEditedTime = time
            blocks[id]?.lastEditedBy = botUserID
        }
        return Self.list(ids.compactMap(renderBlock), next: nil, type: "block")
    }

    /// Updates a block's text, `checked` and color, given at top level (`{"paragraph": {…}}`, as Notion
    /// takes it) or inside `type` (as the official server's schema asks), and/or its trash state.
    mutating func updateBlock(_ args: NotionToolArguments) throws(NotionAPIError) -> JSONValue {
        let id = try args.id("block_id", in: "path")
        let inTrash = try args.bool("in_trash", in: "body")
        let archived = try args.bool("archived", in: "body")
        let trash = inTrash ?? archived
        guard var block = blocks[id] else {
            // Child pages and databases only move in or out of the trash through the block endpoints.
            guard let trash, setTrash(id, trash) else {
                if renderBlock(id) == nil { throw .notFound("block", id) }
                throw .validation("body failed validation: body.in_trash should be defined, instead was `undefined`.")
            }
            return try renderedBlock(id)
        }
        let topLevel = try args.object(block.type, in: "body")
        let nested = try args.object("type", in: "body")?[block.type]?.objectValue
        let content = topLevel ?? nested
        if content == nil, trash == nil {
            throw NotionToolArguments.undefined(block.type, in: "body")
        }
        if let content {
            if block.inTrash, trash != false { throw .validation(Self.archivedMessage) }
            var edited = NewBlock(type: block.type, body: block.body)
            try edited.apply(content, field: "body.\(block.type)")
            block.body = edited.body
        }
        if let trash { block.inTrash = trash }
        block.lastEditedTime = now()
        block.lastEditedBy = botUserID
        blocks[id] = block
        return render(block)
    }

    mutating func deleteBlock(_ args: NotionToolArguments) throws(NotionAPIError) -> JSONValue {
        let id = try args.id("block_id", in: "path")
        guard setTrash(id, true) else { throw .notFound("block", id) }
        return try renderedBlock(id)
    }

    mutating func createComment(_ args: NotionToolArguments) throws(NotionAPIError) -> JSONValue {
        let parent: Parent
        let discussion = try args.string("discussion_id", in: "body").map { NotionToolArguments.normalizedID($0) ?? $0 }
        if let discussion {
            guard let thread = comments.first(where: { $0.discussionID == discussion }) else {
                throw .notFound("discussion", discussion)
            }
            parent = thread.parent
        } else {
            let target = NotionToolArguments(values: try args.requiredObject("parent", in: "body"))
            let isBlock = target.raw("page_id") == nil && target.raw("block_id") != nil
            let id = try target.id(isBlock ? "block_id" : "page_id", in: "body.parent")
            guard isContainer(id) else { throw .notFound(isBlock ? "block" : "page", id) }
            parent = isBlock ? .block(id) : .page(id)
        }
        let text = try Self.richText(from: args.requiredArray("rich_text", in: "body"), field: "body.rich_text")
        return Self.render(insertComment(on: parent, discussionID: discussion, richText: text, by: botUserID))
    }

    // MARK: helpers

    /// A parent from `{"page_id"}`, `{"data_source_id"}`, `{"database_id"}` (its first data source) or
    /// `{"type": "workspace"}`.
    private func resolvePageParent(_ object: JSONObject) throws(NotionAPIError) -> Parent {
        let parent = NotionToolArguments(values: object)
        if parent.raw("page_id") != nil {
            let id = try parent.id("page_id", in: "body.parent")
            if try page(id).inTrash { throw .validation(Self.archivedMessage) }
            return .page(id)
        }
        if parent.raw("data_source_id") != nil {
            let source = try dataSource(parent.id("data_source_id", in: "body.parent"))
            return .dataSource(source.id, databaseID: source.databaseID)
        }
        if parent.raw("database_id") != nil {
            let target = try self.database(parent.id("database_id", in: "body.parent"))
            guard let sourceID = target.dataSourceIDs.first else { throw .notFound("data_source", target.id) }
            return .dataSource(sourceID, databaseID: target.id)
        }
        if object["type"]?.stringValue == "workspace" || object["workspace"] == true { return .workspace }
        throw .validation("body failed validation: body.parent should have one of `page_id`, `data_source_id`, `database_id` or `\"type\": \"workspace\"`, instead was `\(JSONValue.object(object).serialized())`.")
    }

    private func parseBlocks(_ items: [JSONValue]) throws(NotionAPIError) -> [NewBlock] {
        guard items.count <= 100 else {
            throw .validation("body failed validation: body.children.length should be ≤ `100`, instead was `\(items.count)`.")
        }
        var blocks: [NewBlock] = []
        for (index, item) in items.enumerated() {
            blocks.append(try NewBlock.parse(item, field: "body.children[\(index)]"))
        }
        return blocks
    }

    /// Moves a block, page or database (with its data sources) in or out of the trash; false if `id` is unknown.
    private mutating func setTrash(_ id: String, _ value: Bool) -> Bool {
        guard blocks[id] != nil || pages[id] != nil || databases[id] != nil else { return false }
        let time = now()
        if blocks[id] != nil {
            blocks[id]?.inTrash = value
            blocks[id]?.lastEditedTime = time
        } else if pages[id] != nil {
            pages[id]?.inTrash = value
            pages[id]?.lastEditedTime = time
        } else if let database = databases[id] {
            databases[id]?.inTrash = value
            databases[id]?.lastEditedTime = time
            for sourceID in database.dataSourceIDs { dataSources[sourceID]?.inTrash = value }
        }
        return true
    }

    private func renderedBlock(_ id: String) throws(NotionAPIError) -> JSONValue {
        guard let block = renderBlock(id) else { throw .notFound("block", id) }
        return block
    }

    /// An icon or cover as Notion stores it: `{"type": "emoji", "emoji": "🎯"}`, adding `type` when omitted.
    private static func typed(_ object: JSONObject, default type: String) -> JSONValue {
        var result = object
        if result["type"] == nil {
            result = ["type": .string(object.keys.first(where: { $0 != "type" }) ?? type)]
            for (key, value) in object { result[key] = value }
        }
        return .object(result)
    }
}
