import KeeperCore

/// What one sandbox tool call produced.
public enum SandboxToolOutcome: Sendable, Equatable {
    /// The Notion API response body.
    case ok(JSONValue)
    /// A Notion API error (e.g. 404 `object_not_found`, 400 `validation_error`); render it with
    /// ``NotionWorkspace/notionErrorJSON(status:code:message:)``.
    case notionError(status: Int, code: String, message: String)
    /// The name is not in ``SandboxToolCatalog``.
    case unknownTool
}

extension NotionWorkspace {
    /// Runs one catalog tool against the workspace, as the official server would run it against Notion.
    public mutating func call(tool: String, arguments: JSONObject) -> SandboxToolOutcome {
        guard SandboxToolCatalog.contains(tool) else { return .unknownTool }
        requestCount += 1
        let args = NotionToolArguments(values: arguments)
        do throws(NotionAPIError) {
            switch tool {
            case "API-get-self": return .ok(try getUser(botUserID))
            case "API-get-user": return .ok(try getUser(args.id("user_id", in: "path")))
            case "API-get-users": return .ok(try getUsers(args))
            case "API-post-search": return .ok(try search(args))
            case "API-get-block-children": return .ok(try blockChildren(args))
            case "API-retrieve-a-block": return .ok(try retrieveBlock(args))
            case "API-retrieve-a-page": return .ok(render(try page(args.id("page_id", in: "path"))))
            case "API-retrieve-a-page-property": return .ok(try pageProperty(args))
            case "API-retrieve-a-comment": return .ok(try retrieveComments(args))
            case "API-query-data-source": return .ok(try queryDataSource(args))
            case "API-retrieve-a-data-source": return .ok(render(try dataSource(args.id("data_source_id", in: "path"))))
            case "API-retrieve-a-database": return .ok(render(try database(args.id("database_id", in: "path"))))
            case "API-post-page": return .ok(try postPage(args))
            case "API-patch-page": return .ok(try patchPage(args))
            case "API-patch-block-children": return .ok(try appendChildren(args))
            case "API-update-a-block": return .ok(try updateBlock(args))
            case "API-delete-a-block": return .ok(try deleteBlock(args))
            case "API-create-a-comment": return .ok(try createComment(args))
            default: return .unknownTool
            }
        } catch {
            return .notionError(status: error.status, code: error.code, message: error.message)
        }
    }

    /// Notion's error body: `{"object":"error","status":…,"code":…,"message":…,"request_id":…}`, with a
    /// request id derived from the number of calls so far, so it is deterministic.
    public func notionErrorJSON(status: Int, code: String, message: String) -> JSONValue {
        [
            "object": "error", "status": .number(JSONNumber(status)), "code": .string(code),
            "message": .string(message), "request_id": .string(Self.uuid(requestCount, variant: "9")),
        ]
    }

    // MARK: lookups

    func page(_ id: String) throws(NotionAPIError) -> Page {
        guard let page = pages[id] else { throw .notFound("page", id) }
        return page
    }

    func dataSource(_ id: String) throws(NotionAPIError) -> DataSource {
        guard let source = dataSources[id] else { throw .notFound("data_source", id) }
        return source
    }

    func database(_ id: String) throws(NotionAPIError) -> Database {
        guard let database = databases[id] else { throw .notFound("database", id) }
        return database
    }

    // MARK: reads

    private func getUser(_ id: String) throws(NotionAPIError) -> JSONValue {
        guard let user = users.first(where: { $0.id == id }) else { throw .notFound("user", id) }
        return render(user)
    }

    private func getUsers(_ args: NotionToolArguments) throws(NotionAPIError) -> JSONValue {
        let slice = try args.paginate(users.map(\.id), in: "query")
        let results = slice.page.compactMap { id in users.first(where: { $0.id == id }).map(render) }
        return Self.list(results, next: slice.next, type: "user")
    }

    /// Pages and data sources whose title contains `query` (case-insensitive), most recently edited first.
    private func search(_ args: NotionToolArguments) throws(NotionAPIError) -> JSONValue {
        let query = try args.string("query", in: "body")?.lowercased() ?? ""
        var kinds: Set<String> = ["page", "data_source"]
        if let filter = try args.object("filter", in: "body") {
            guard filter["property"]?.stringValue == "object" else {
                throw .validation("body failed validation: body.filter.property should be `\"object\"`, instead was `\(filter["property"]?.serialized() ?? "undefined")`.")
            }
            guard let value = filter["value"]?.stringValue, kinds.contains(value) else {
                throw .validation("body failed validation: body.filter.value should be `\"page\"` or `\"data_source\"`, instead was `\(filter["value"]?.serialized() ?? "undefined")`.")
            }
            kinds = [value]
        }
        let ascending = try args.object("sort", in: "body")?["direction"]?.stringValue == "ascending"
        var found: [(id: String, edited: String, json: JSONValue)] = []
        if kinds.contains("page") {
            for id in pageOrder {
                guard let page = pages[id], !page.inTrash, query.isEmpty || title(of: page).lowercased().contains(query) else { continue }
                found.append((id, page.lastEditedTime, render(page)))
            }
        }
        if kinds.contains("data_source") {
            for id in dataSourceOrder {
                guard let source = dataSources[id], !source.inTrash, query.isEmpty || source.title.lowercased().contains(query) else { continue }
                found.append((id, source.lastEditedTime, render(source)))
            }
        }
        // Stable sort: equal timestamps keep creation order, so results never shuffle between calls.
        let ordered = found.enumerated().sorted { a, b in
            if a.element.edited != b.element.edited { return (a.element.edited < b.element.edited) == ascending }
            return a.offset < b.offset
        }.map(\.element)
        let slice = try args.paginate(ordered.map(\.id), in: "body")
        let byID = Dictionary(ordered.map { ($0.id, $0.json) }, uniquingKeysWith: { first, _ in first })
        return Self.list(slice.page.compactMap { byID[$0] }, next: slice.next, type: "page_or_data_source")
    }

    private func blockChildren(_ args: NotionToolArguments) throws(NotionAPIError) -> JSONValue {
        let id = try args.id("block_id", in: "path")
        guard isContainer(id) || databases[id] != nil else { throw .notFound("block", id) }
        let slice = try args.paginate(liveChildren(of: id), in: "query")
        return Self.list(slice.page.compactMap(renderBlock), next: slice.next, type: "block")
    }

    private func retrieveBlock(_ args: NotionToolArguments) throws(NotionAPIError) -> JSONValue {
        let id = try args.id("block_id", in: "path")
        guard let block = renderBlock(id) else { throw .notFound("block", id) }
        return block
    }

    /// A page property item; title and rich text come as a list of one item per rich text, as Notion pages them.
    private func pageProperty(_ args: NotionToolArguments) throws(NotionAPIError) -> JSONValue {
        let page = try self.page(args.id("page_id", in: "path"))
        guard let key = try args.string("property_id", in: "path") else {
            throw NotionToolArguments.undefined("property_id", in: "path")
        }
        guard let entry = page.properties.first(where: { $0.key == key || $0.value["id"]?.stringValue == key })?.value,
              let id = entry["id"], let type = entry["type"]?.stringValue
        else { throw .notFound("property", key) }
        guard type == "title" || type == "rich_text" else {
            return ["object": "property_item", "id": id, "type": .string(type), type: entry[type] ?? .null]
        }
        let items: [JSONValue] = (entry[type]?.arrayValue ?? []).map { text in
            ["object": "property_item", "id": id, "type": .string(type), type: text]
        }
        return [
            "object": "list", "results": .array(items), "next_cursor": nil, "has_more": false,
            "type": "property_item",
            "property_item": ["id": id, "next_url": nil, "type": .string(type), type: [:]],
        ]
    }

    private func retrieveComments(_ args: NotionToolArguments) throws(NotionAPIError) -> JSONValue {
        let id = try args.id("block_id", in: "query")
        guard isContainer(id) else { throw .notFound("block", id) }
        let matching = comments.filter { $0.parent == .page(id) || $0.parent == .block(id) }
        let slice = try args.paginate(matching.map(\.id), in: "query")
        let results = slice.page.compactMap { id in matching.first(where: { $0.id == id }).map(Self.render) }
        return Self.list(results, next: slice.next, type: "comment")
    }

    /// Pages of a data source in creation order, filtered (see ``matches(_:filter:)``); sorts are not applied.
    private func queryDataSource(_ args: NotionToolArguments) throws(NotionAPIError) -> JSONValue {
        let source = try dataSource(args.id("data_source_id", in: "path"))
        let filter = try args.object("filter", in: "body")
        let inTrash = try args.bool("in_trash", in: "body")
        let archived = try args.bool("archived", in: "body")
        let wantTrash = inTrash ?? archived ?? false
        let ids = pageOrder.filter { id in
            guard let page = pages[id], case .dataSource(source.id, _) = page.parent, page.inTrash == wantTrash else { return false }
            return filter.map { matches(page, filter: $0) } ?? true
        }
        let slice = try args.paginate(ids, in: "body")
        return Self.list(slice.page.compactMap { pages[$0].map(render) }, next: slice.next, type: "page_or_data_source")
    }
}
