/// Words for the shell command lines mcpkeeper suggests (`mcpkeeper tools --config …`).
public enum ShellWord {
    /// `word` as one shell word, quoted when it needs to be.
    public static func quoted(_ word: String) -> String {
        let plain = !word.isEmpty && word.allSatisfy { $0.isLetter || $0.isNumber || "-_./:=@".contains($0) }
        return plain ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
