import Foundation
import PackagePlugin

/// Writes the git commit the package is built from into `GitCommit.swift` before every build, so
/// `mcpkeeper --version` can name it. Outside a git checkout (a source tarball) it says "unknown".
@main
struct VersionStamp: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let output = context.pluginWorkDirectoryURL.appending(path: "GitCommit")
        // The file is only replaced when the commit changed, so an unchanged tree rebuilds nothing.
        let script = """
            commit=$(git -C "$1" rev-parse --short=12 HEAD 2>/dev/null) || commit=unknown
            mkdir -p "$2"
            printf '/// The git commit this binary was built from (written by the VersionStamp plugin).\\nlet gitCommit = "%s"\\n' "$commit" > "$2/GitCommit.swift.new"
            if cmp -s "$2/GitCommit.swift.new" "$2/GitCommit.swift"; then rm "$2/GitCommit.swift.new"; else mv "$2/GitCommit.swift.new" "$2/GitCommit.swift"; fi
            """
        return [.prebuildCommand(displayName: "Stamping the git commit into \(target.name)",
                                 executable: URL(fileURLWithPath: "/bin/sh"),
                                 arguments: ["-c", script, "version-stamp", context.package.directoryURL.path, output.path],
                                 outputFilesDirectory: output)]
    }
}
