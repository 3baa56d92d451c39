import KeeperCore

/// An in-memory Notion workspace: users, pages, blocks, databases with their data sources, and comments.
///
/// A value type: the sandbox server owns one and changes it only through ``call(tool:arguments:)``, and
/// tests copy it freely. What varies between runs of the real service (ids, timestamps, request ids) comes
/// from counters here, so the same calls always produce the same JSON.
public struct NotionWorkspace: Sendable {
    /// A Notion user: a person, or the integration's bot.
    public struct User: Sendable, Hashable {
        /// People carry an email; the bot is the integration itself.
        public enum Kind: Sendable, Hashable {
            case person(email: String)
            case bot
        }

        public var id: String
        public var name: String
        public var kind: Kind
    }

    /// Where a page, block, database or comment lives.
    public enum Parent: Sendable, Hashable {
        case workspace
        case page(String)
        case block(String)
        case dataSource(String, databaseID: String)
    }

    /// A page. `properties` holds each value in the API's response shape (`{"id","type",<type>: …}`),
    /// keyed by property name, so rendering is a copy.
    public struct Page: Sendable, Hashable {
        public var id: String
        public var parent: Parent
        public var properties: JSONObject
        public var icon: JSONValue = .null
        public var cover: JSONValue = .null
        public var inTrash = false
        public var createdTime: String
        public var lastEditedTime: String
        public var createdBy: String
        public var lastEditedBy: String
    }

    /// A content block. Child pages and child databases are not stored here: like Notion, they are
    /// block views of the page or database with the same id.
    public struct Block: Sendable, Hashable {
        public var id: String
        public var parent: Parent
        public var type: String
        /// The type-specific body, e.g. `{"rich_text": […], "color": "default"}`.
        public var body: JSONObject
        public var inTrash = false
        public var createdTime: String
        public var lastEditedTime: String
        public var createdBy: String
        public var lastEditedBy: String
    }

    /// One choice of a select or status property.
    public struct SelectOption: Sendable, Hashable {
        public var id: String
        public var name: String
        public var color: String
    }

    /// One column of a data source: title, rich_text, select, status, date, number or checkbox.
    public struct PropertySchema: Sendable, Hashable {
        public var id: String
        public var name: String
        public var type: String
        public var options: [SelectOption] = []
    }

    /// A data source: the table of a database, holding the property schema its pages follow.
    public struct DataSource: Sendable, Hashable {
        public var id: String
        public var databaseID: String
        public var title: String
        public var properties: [PropertySchema]
        public var inTrash = false
        public var createdTime: String
        public var lastEditedTime: String
        public var createdBy: String
    }

    /// A database: the container of one or more data sources, shown in its parent as a child database.
    public struct Database: Sendable, Hashable {
        public var id: String
        public var parent: Parent
        public var title: String
        public var dataSourceIDs: [String]
        public var inTrash = false
        public var createdTime: String
        public var lastEditedTime: String
    }

    /// A comment on a page or block, within a discussion thread.
    public struct Comment: Sendable, Hashable {
        public var id: String
        public var parent: Parent
        public var discussionID: String
        /// Rich text in the response shape.
        public var richText: JSONValue
        public var createdTime: String
        public var createdBy: String
    }

    public internal(set) var users: [User] = []
    public internal(set) var botUserID = ""
    public internal(set) var pages: [String: Page] = [:]
    public internal(set) var blocks: [String: Block] = [:]
    public internal(set) var databases: [String: Database] = [:]
    public internal(set) var dataSources: [String: DataSource] = [:]
    public internal(set) var comments: [Comment] = []
    /// Creation order, which dictionaries do not keep and listings need.
    var pageOrder: [String] = []
    var dataSourceOrder: [String] = []
    /// The child block ids of each page or block in display order; child pages and databases by their own ids.
    var children: [String: [String]] = [:]
    var serial = 0
    var clock = 0
    var requestCount = 0

    /// An empty workspace holding only the integration's bot user.
    public init(botName: String = "mcpkeeper sandbox") {
        botUserID = mintID()
        users = [User(id: botUserID, name: botName, kind: .bot)]
    }

    /// The next object id, UUID-shaped as Notion's are.
    mutating func mintID() -> String {
        serial += 1
        return Self.uuid(serial, variant: "8")
    }

    /// The next timestamp: each change happens one minute after the previous, from 2025-09-03T00:00Z.
    mutating func now() -> String {
        clock += 1
        return Self.timestamp(minutes: clock)
    }

    static func uuid(_ number: Int, variant: Character) -> String {
        let hex = String(number, radix: 16)
        return "00000000-0000-4000-\(variant)000-" + String(repeating: "0", count: max(0, 12 - hex.count)) + hex
    }

    static func timestamp(minutes: Int) -> String {
        let (year, month, day) = civilDate(daysSince1970: 20_334 + minutes / 1440)
        let minuteOfDay = minutes % 1440
        func pad(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(year)-\(pad(month))-\(pad(day))T\(pad(minuteOfDay / 60)):\(pad(minuteOfDay % 60)):00.000Z"
    }

    /// Howard Hinnant's days-to-civil conversion (proleptic Gregorian), to avoid Foundation's formatters.
    static func civilDate(daysSince1970: Int) -> (year: Int, month: Int, day: Int) {
        let z = daysSince1970 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// The property schema pages under `parent` follow: a data source's, else the one `title` every page has.
    func schema(for parent: Parent) -> [PropertySchema] {
        if case .dataSource(let id, _) = parent, let source = dataSources[id] { return source.properties }
        return [PropertySchema(id: "title", name: "title", type: "title")]
    }

    /// A page's title as plain text.
    func title(of page: Page) -> String {
        for (_, entry) in page.properties where entry["type"]?.stringValue == "title" {
            return Self.plainText(entry["title"])
        }
        return ""
    }

    /// Whether `id` names something that can hold blocks: a page or a block.
    func isContainer(_ id: String) -> Bool { pages[id] != nil || blocks[id] != nil }

    /// The children of a page or block that are not in the trash, in order.
    func liveChildren(of id: String) -> [String] {
        (children[id] ?? []).filter { child in
            if let block = blocks[child] { return !block.inTrash }
            if let page = pages[child] { return !page.inTrash }
            return databases[child].map { !$0.inTrash } ?? false
        }
    }
}

/// A Notion API error, as the API would answer it: HTTP status, error code and a sentence.
struct NotionAPIError: Error, Sendable {
    var status: Int
    var code: String
    var message: String

    static func validation(_ message: String) -> NotionAPIError {
        NotionAPIError(status: 400, code: "validation_error", message: message)
    }

    static func notFound(_ kind: String, _ id: String) -> NotionAPIError {
        NotionAPIError(
            status: 404, code: "object_not_found",
            message: "Could not find \(kind) with ID: \(id). Make sure the relevant pages and databases are shared with your integration."
        )
    }
}
