import KeeperCore

/// The OpenAPI component schemas the tools refer to, placed under each tool's `$defs`.
extension SandboxToolCatalog {
    static let parentDefs: JSONObject = [
        "parentRequest": [
            "oneOf": [
                ["$ref": "#/$defs/pageIdParentRequest"],
                ["$ref": "#/$defs/dataSourceIdParentRequest"],
                ["type": "object", "properties": ["type": ["const": "workspace"]], "required": ["type"]],
            ],
        ],
        "pageIdParentRequest": [
            "type": "object", "properties": ["page_id": ["type": "string", "format": "uuid"]], "required": ["page_id"],
        ],
        "dataSourceIdParentRequest": [
            "type": "object",
            "properties": [
                "type": ["type": "string", "const": "database_id"],
                "database_id": ["type": "string", "format": "uuid"],
            ],
            "required": ["database_id"],
        ],
    ]

    static let blockDefs: JSONObject = [
        "blockObjectRequest": [
            "anyOf": [["$ref": "#/$defs/paragraphBlockRequest"], ["$ref": "#/$defs/bulletedListItemBlockRequest"]],
        ],
        "paragraphBlockRequest": textBlockRequest("paragraph"),
        "bulletedListItemBlockRequest": textBlockRequest("bulleted_list_item"),
        "richTextRequest": [
            "type": "object", "required": ["text"], "additionalProperties": false,
            "properties": [
                "text": [
                    "type": "object", "required": ["content"], "additionalProperties": false,
                    "properties": [
                        "content": ["type": "string"],
                        "link": ["type": ["object", "null"], "properties": ["url": ["type": "string"]], "required": ["url"]],
                    ],
                ],
                "type": ["type": "string", "enum": ["text"]],
            ],
        ],
    ]

    /// What the official server puts under `$defs` in the tools that use any: every component schema
    /// of the OpenAPI document, used or not, including ones it could not convert (a reference left in
    /// OpenAPI form, an OpenAPI `file` type marked write-only). Strict clients refuse those tool lists;
    /// mcpkeeper's `safe` repair removes the unused entries, and `mcpkeeper lint` names each one.
    static let componentDefs: JSONObject = {
        var defs = parentDefs
        for (name, schema) in blockDefs { defs[name] = schema }
        defs["sortObject"] = sortObject
        defs["movePageParentRequest"] = [
            "oneOf": [
                ["type": "object", "properties": ["type": ["const": "page_id"], "page_id": ["type": "string", "format": "uuid"]],
                 "required": ["type", "page_id"]],
                ["type": "object", "properties": ["type": ["const": "workspace"]], "required": ["type"]],
            ],
        ]
        defs["fileUploadRequest"] = [
            "type": "object", "writeOnly": true,
            "properties": ["file": ["type": "file", "writeOnly": true], "filename": ["type": "string"]],
        ]
        defs["externalFileRequest"] = [
            "type": "object",
            "properties": ["external": ["$ref": "#/components/schemas/externalFileObject"]],
        ]
        return defs
    }()

    static func textBlockRequest(_ type: String) -> JSONValue {
        [
            "type": "object", "additionalProperties": false,
            "properties": [
                type: [
                    "type": "object", "additionalProperties": false, "required": ["rich_text"],
                    "properties": [
                        "rich_text": ["type": "array", "items": ["$ref": "#/$defs/richTextRequest"], "maxItems": 100],
                    ],
                ],
                "type": ["type": "string", "enum": .array([.string(type)])],
            ],
        ]
    }
}
