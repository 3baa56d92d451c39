import KeeperCore

/// The operations, with parameter and body schemas as Notion's OpenAPI document (2025-09-03) gives them.
extension SandboxToolCatalog {
    static let operations: [Operation] = [
        Operation(
            operationID: "get-user", method: "get", summary: "Retrieve a user",
            properties: ["user_id": ["type": "string", "format": "uuid"]], required: ["user_id"], badRequest: "400"),
        Operation(
            operationID: "get-users", method: "get", summary: "List all users",
            properties: ["start_cursor": startCursor, "page_size": pageSize(default: 100)], badRequest: "400"),
        Operation(operationID: "get-self", method: "get", summary: "Retrieve your token's bot user", properties: [:]),
        Operation(
            operationID: "post-search", method: "post", summary: "Search by title",
            properties: searchBody),
        Operation(
            operationID: "get-block-children", method: "get", summary: "Retrieve block children",
            properties: [
                "block_id": idParameter("Identifier for a [block](ref:block)"),
                "start_cursor": startCursor, "page_size": pageSize(default: 100),
            ],
            required: ["block_id"]),
        Operation(
            operationID: "patch-block-children", method: "patch", summary: "Append block children",
            properties: [
                "block_id": idParameter("Identifier for a [block](ref:block). Also accepts a [page](ref:page) ID."),
                "children": [
                    "type": "array", "items": ["$ref": "#/$defs/blockObjectRequest"],
                    "description": "Child content to append to a container block as an array of [block objects](ref:block)",
                ],
                "after": idParameter("The ID of the existing block that the new block should be appended after."),
            ],
            required: ["block_id", "children"], defs: componentDefs),
        Operation(
            operationID: "retrieve-a-block", method: "get", summary: "Retrieve a block",
            properties: ["block_id": idParameter("Identifier for a Notion block")], required: ["block_id"]),
        Operation(
            operationID: "update-a-block", method: "patch", summary: "Update a block",
            properties: [
                "block_id": idParameter("Identifier for a Notion block"),
                "type": [
                    "type": "object", "properties": [:],
                    "description": "The [block object `type`](ref:block#block-object-keys) value with the properties to be updated. Currently only `text` (for supported block types) and `checked` (for `to_do` blocks) fields can be updated.",
                ],
                "archived": [
                    "type": "boolean", "default": true,
                    "description": "Set to true to archive (delete) a block. Set to false to un-archive (restore) a block.",
                ],
            ],
            required: ["block_id"]),
        Operation(
            operationID: "delete-a-block", method: "delete", summary: "Delete a block",
            properties: ["block_id": idParameter("Identifier for a Notion block")], required: ["block_id"]),
        Operation(
            operationID: "retrieve-a-page", method: "get", summary: "Retrieve a page",
            properties: [
                "page_id": idParameter("Identifier for a Notion page"),
                "filter_properties": idParameter(
                    "A list of page property value IDs associated with the page. Use this param to limit the response to a specific page property value or values. To retrieve multiple properties, specify each page property ID. For example: `?filter_properties=iAk8&filter_properties=b7dh`."),
            ],
            required: ["page_id"]),
        Operation(
            operationID: "patch-page", method: "patch", summary: "Update page properties",
            properties: patchPageBody, required: ["page_id"]),
        Operation(
            operationID: "post-page", method: "post", summary: "Create a page",
            properties: postPageBody, required: ["parent", "properties"], defs: componentDefs),
        Operation(
            operationID: "retrieve-a-page-property", method: "get", summary: "Retrieve a page property item",
            properties: [
                "page_id": idParameter("Identifier for a Notion page"),
                "property_id": idParameter(
                    "Identifier for a page [property](https://developers.notion.com/reference/page#all-property-values)"),
                "page_size": [
                    "type": "integer", "format": "int32",
                    "description": "For paginated properties. The max number of property item objects on a page. The default size is 100",
                ],
                "start_cursor": idParameter("For paginated properties."),
            ],
            required: ["page_id", "property_id"]),
        Operation(
            operationID: "retrieve-a-comment", method: "get", summary: "Retrieve comments",
            properties: [
                "block_id": idParameter("Identifier for a Notion block or page"),
                "start_cursor": startCursor, "page_size": pageSize(default: nil),
            ],
            required: ["block_id"]),
        Operation(
            operationID: "create-a-comment", method: "post", summary: "Create comment",
            properties: createCommentBody, required: ["parent", "rich_text"], notionVersionHeader: false),
        Operation(
            operationID: "query-data-source", method: "post", summary: "Query a data source",
            properties: queryDataSourceBody, required: ["data_source_id"],
            defs: componentDefs),
        Operation(
            operationID: "retrieve-a-data-source", method: "get", summary: "Retrieve a data source",
            properties: ["data_source_id": idParameter("Identifier for a Notion data source")],
            required: ["data_source_id"]),
        Operation(
            operationID: "retrieve-a-database", method: "get", summary: "Retrieve a database",
            properties: ["database_id": idParameter("Identifier for a Notion database")], required: ["database_id"]),
    ]

    static func idParameter(_ description: String) -> JSONValue {
        ["type": "string", "description": .string(description)]
    }

    static let startCursor = idParameter(
        "If supplied, this endpoint will return a page of results starting after the cursor provided. If not supplied, this endpoint will return the first page of results.")

    static func pageSize(default value: Int?) -> JSONValue {
        var schema: JSONObject = [
            "type": "integer", "format": "int32",
            "description": "The number of items from the full list desired in the response. Maximum: 100",
        ]
        if let value { schema["default"] = .number(JSONNumber(value)) }
        return .object(schema)
    }

    static let searchBody: JSONObject = [
        "query": idParameter("The text that the API compares page and database titles against."),
        "sort": [
            "type": "object",
            "description": "A set of criteria, `direction` and `timestamp` keys, that orders the results. The **only** supported timestamp value is `\"last_edited_time\"`. Supported `direction` values are `\"ascending\"` and `\"descending\"`. If `sort` is not provided, then the most recently edited results are returned first.",
            "properties": [
                "direction": idParameter("The direction to sort. Possible values include `ascending` and `descending`."),
                "timestamp": idParameter("The name of the timestamp to sort against. Possible values include `last_edited_time`."),
            ],
        ],
        "filter": [
            "type": "object",
            "description": "A set of criteria, `value` and `property` keys, that limits the results to either only pages or only data sources. Possible `value` values are `\"page\"` or `\"data_source\"`. The only supported `property` value is `\"object\"`.",
            "properties": [
                "value": [
                    "type": "string", "enum": ["page", "data_source"],
                    "description": "The value of the property to filter the results by.  Possible values for object type include `page` or `data_source`.",
                ],
                "property": idParameter("The name of the property to filter by. Currently the only property you can filter by is the object type.  Possible values include `object`."),
            ],
        ],
        "start_cursor": idParameter(
            "A `cursor` value returned in a previous response that If supplied, limits the response to results starting after the `cursor`. If not supplied, then the first page of results is returned."),
        "page_size": [
            "type": "integer", "format": "int32", "default": 100,
            "description": "The number of items from the full list to include in the response. Maximum: `100`.",
        ],
    ]

    static let patchPageBody: JSONObject = [
        "page_id": idParameter("The identifier for the Notion page to be updated."),
        "properties": [
            "type": "object", "additionalProperties": true,
            "description": "The property values to update for the page. The keys are the names or IDs of the property and the values are property values. If a page property ID is not included, then it is not changed.",
        ],
        "in_trash": [
            "type": "boolean", "default": false,
            "description": "Set to true to delete a block. Set to false to restore a block.",
        ],
        "archived": ["type": "boolean"],
        "icon": [
            "type": "object", "properties": ["emoji": ["type": "string"]], "additionalProperties": false,
            "required": ["emoji"],
            "description": "A page icon for the page. Supported types are [external file object](https://developers.notion.com/reference/file-object) or [emoji object](https://developers.notion.com/reference/emoji-object).",
        ],
        "cover": [
            "type": "object", "required": ["external"], "additionalProperties": false,
            "description": "A cover image for the page. Only [external file objects](https://developers.notion.com/reference/file-object) are supported.",
            "properties": [
                "external": [
                    "type": "object", "properties": ["url": ["type": "string"]], "additionalProperties": false,
                    "required": ["url"],
                ],
                "type": ["type": "string", "enum": ["external"]],
            ],
        ],
    ]

    static let postPageBody: JSONObject = [
        "parent": ["$ref": "#/$defs/parentRequest"],
        "properties": [
            "type": "object", "additionalProperties": true,
            "description": "The property values for the new page. The keys are the names or IDs of the property and the values are property values.",
        ],
        "children": [
            "type": "array", "items": ["type": "string"],
            "description": "The content to be rendered on the new page, represented as an array of [block objects](https://developers.notion.com/reference/block).",
        ],
        "icon": [
            "type": "string", "format": "json",
            "description": "The icon of the new page. Either an [emoji object](https://developers.notion.com/reference/emoji-object) or an [external file object](https://developers.notion.com/reference/file-object)..",
        ],
        "cover": [
            "type": "string", "format": "json",
            "description": "The cover image of the new page, represented as a [file object](https://developers.notion.com/reference/file-object).",
        ],
    ]

    static let createCommentBody: JSONObject = [
        "parent": [
            "type": "object", "description": "The page that contains the comment", "required": ["page_id"],
            "properties": ["page_id": idParameter("the page ID")],
        ],
        "rich_text": [
            "type": "array",
            "items": [
                "type": "object", "required": ["text"],
                "properties": [
                    "text": [
                        "type": "object", "required": ["content"],
                        "properties": ["content": idParameter("The content of the comment")],
                    ],
                ],
            ],
        ],
    ]

    static let queryDataSourceBody: JSONObject = [
        "data_source_id": idParameter("Identifier for a Notion data source (database)"),
        "filter_properties": [
            "type": "array", "items": ["type": "string"],
            "description": "A list of page property value IDs to limit the response",
        ],
        "filter": ["type": "object", "description": "Filter conditions for querying the data source"],
        "sorts": ["type": "array", "items": ["$ref": "#/$defs/sortObject"]],
        "start_cursor": ["type": "string"],
        "page_size": ["type": "integer", "default": 100],
        "archived": ["type": "boolean"],
        "in_trash": ["type": "boolean"],
    ]

    static let sortObject: JSONValue = [
        "type": "object", "required": ["property", "direction"],
        "properties": [
            "property": ["type": "string"],
            "direction": ["type": "string", "enum": ["ascending", "descending"]],
        ],
    ]
}
