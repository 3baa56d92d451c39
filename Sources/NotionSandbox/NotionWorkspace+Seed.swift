import KeeperCore

/// The sandbox's starting content: the same workspace, byte for byte, every time.
extension NotionWorkspace {
    /// The bot "mcpkeeper sandbox", two people, a "Team Home" page with a few blocks and a comment, and a
    /// "Tasks" database whose data source holds five tasks.
    public static func seeded() -> NotionWorkspace {
        var workspace = NotionWorkspace()
        let ada = workspace.addPerson(name: "Ada Lovelace", email: "ada@example.com")
        let grace = workspace.addPerson(name: "Grace Hopper", email: "grace@example.com")

        let home = workspace.insertPage(parent: .workspace, entries: titleEntry("Team Home"), by: ada)
        workspace.appendBlocks(
            [
                .text("heading_1", "Welcome to the team"),
                .text("paragraph", "This workspace is simulated by mcpkeeper's sandbox; nothing here is real."),
                .text("heading_2", "This week"),
                .text("bulleted_list_item", "Ship the proxy"),
                .text("bulleted_list_item", "Wire up the probes"),
                .text("to_do", "Read the retry design", checked: true),
                .text("to_do", "Try the sandbox's fault injection"),
            ],
            to: home, by: ada)

        let tasks = workspace.insertDatabase(under: home, title: "Tasks", properties: taskSchema, by: ada)
        let parent = Parent.dataSource(tasks.dataSource, databaseID: tasks.database)
        let seedTasks: [(name: String, status: Int, due: String?, priority: Int, done: Bool, author: String)] = [
            ("Write the proxy README", 1, "2025-09-10", 0, false, ada),
            ("Set up the probe cron job", 0, "2025-09-12", 1, false, grace),
            ("Rotate the Notion token", 2, "2025-09-01", 0, true, grace),
            ("Review the retry budget", 0, nil, 2, false, ada),
            ("Plan the metrics dashboard", 1, "2025-09-20", 1, false, grace),
        ]
        for task in seedTasks {
            var entries = JSONObject()
            for property in taskSchema {
                let value: JSONValue
                switch property.id {
                case "title": value = [richText(task.name)]
                case "stat": value = render(property.options[task.status])
                case "due_": value = task.due.map { ["start": .string($0), "end": nil, "time_zone": nil] } ?? .null
                case "prio": value = render(property.options[task.priority])
                default: value = .bool(task.done)
                }
                entries[property.name] = entry(property, value)
            }
            workspace.insertPage(parent: parent, entries: entries, by: task.author)
        }

        workspace.insertComment(
            on: .page(home), richText: [richText("Welcome aboard! Tasks live in the database below.")], by: grace)
        return workspace
    }

    /// The entry of a page's `title` property.
    static func titleEntry(_ title: String) -> JSONObject {
        ["title": entry(PropertySchema(id: "title", name: "title", type: "title"), [richText(title)])]
    }

    /// Tasks' columns: Name, Status, Due, Priority, Done. Options are listed in the order the seed indexes.
    static let taskSchema: [PropertySchema] = [
        PropertySchema(id: "title", name: "Name", type: "title"),
        PropertySchema(
            id: "stat", name: "Status", type: "status",
            options: [
                SelectOption(id: "not-started", name: "Not started", color: "default"),
                SelectOption(id: "in-progress", name: "In progress", color: "blue"),
                SelectOption(id: "done", name: "Done", color: "green"),
            ]),
        PropertySchema(id: "due_", name: "Due", type: "date"),
        PropertySchema(
            id: "prio", name: "Priority", type: "select",
            options: [
                SelectOption(id: "high", name: "High", color: "red"),
                SelectOption(id: "medium", name: "Medium", color: "yellow"),
                SelectOption(id: "low", name: "Low", color: "gray"),
            ]),
        PropertySchema(id: "done", name: "Done", type: "checkbox"),
    ]
}
