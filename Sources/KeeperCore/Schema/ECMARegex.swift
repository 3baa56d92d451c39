import Foundation
import Synchronization

/// A JSON Schema `pattern`: an ECMA-262 regular expression, run by ICU (NSRegularExpression) after
/// translating the places where the two dialects read the same text differently.
///
/// Matching is unanchored, as ECMA-262's `test` is. Compiled patterns are shared through a bounded,
/// process-wide cache, because every `tools/list` refresh prepares the same schemas again.
struct ECMARegex: @unchecked Sendable {
    // @unchecked: NSRegularExpression is immutable once built and documented as safe to share.
    private let expression: NSRegularExpression

    /// Why a pattern cannot be used, in words fit for a ``SchemaProblem``.
    struct SyntaxError: Error, Sendable {
        let reason: String
    }

    init(_ pattern: String) throws(SyntaxError) {
        let translated = try ECMARegex.translate(pattern)
        do {
            expression = try NSRegularExpression(pattern: translated)
        } catch {
            throw SyntaxError(reason: "it is not valid regular-expression syntax")
        }
    }

    func matches(_ string: String) -> Bool {
        let range = NSRange(string.startIndex..., in: string)
        return expression.firstMatch(in: string, range: range) != nil
    }

    private static let cache = Mutex<[String: Result<ECMARegex, SyntaxError>]>([:])
    /// Enough for every pattern of a few busy upstreams; a server inventing patterns cannot grow it forever.
    private static let cacheLimit = 1024

    /// The compiled pattern, from the cache when it has been compiled before.
    static func cached(_ pattern: String) throws(SyntaxError) -> ECMARegex {
        let known = cache.withLock { $0[pattern] }
        let result: Result<ECMARegex, SyntaxError>
        if let known {
            result = known
        } else {
            // Compiled outside the lock: a slow pattern must not stall other sessions' lookups.
            do throws(SyntaxError) { result = .success(try ECMARegex(pattern)) } catch { result = .failure(error) }
            cache.withLock { entries in
                if entries.count >= cacheLimit { entries.removeAll(keepingCapacity: true) }
                entries[pattern] = result
            }
        }
        return try result.get()
    }
}

extension ECMARegex {
    private static let word = "A-Za-z0-9_"
    /// ECMA-262 WhiteSpace and LineTerminator; ICU's `\s` is a different set.
    private static let space = #"\t\n\x{0B}\f\r\x{20}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}\x{FEFF}"#
    private static let wordBoundary = "(?:(?<=[\(word)])(?![\(word)])|(?<![\(word)])(?=[\(word)]))"
    private static let notWordBoundary = "(?:(?<=[\(word)])(?=[\(word)])|(?<![\(word)])(?![\(word)]))"

    /// Rewrites ECMA-262 syntax into ICU syntax with the same meaning: ASCII-only `\d` and `\w`,
    /// ECMA's `\s`, `$` only at the very end, `.` excluding exactly ECMA's line terminators, and
    /// characters that are literal in an ECMA class but operators in an ICU set escaped.
    static func translate(_ pattern: String) throws(SyntaxError) -> String {
        let scalars = Array(pattern.unicodeScalars)
        var out = ""
        var inClass = false
        var i = 0
        while i < scalars.count {
            let c = scalars[i]
            i += 1
            if c == "\\" {
                guard i < scalars.count else { throw SyntaxError(reason: "it ends with a lone backslash") }
                let next = scalars[i]
                i += 1
                if next == "u", i < scalars.count, scalars[i] == "{" {
                    out += "\\x"  // ECMA's \u{1F600} is ICU's \x{1F600}
                } else {
                    out += try escape(next, inClass: inClass)
                }
                continue
            }
            if inClass {
                switch c {
                case "]": inClass = false; out += "]"
                case "[", "&", "{", "}", "$", "^": out += "\\" + String(c)
                default: out.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case "[":
                let negated = i < scalars.count && scalars[i] == "^"
                let start = negated ? i + 1 : i
                if start < scalars.count, scalars[start] == "]" {
                    // ECMA's `[]` matches nothing and `[^]` anything; ICU rejects both.
                    out += negated ? #"[\x{0}-\x{10FFFF}]"# : "(?!)"
                    i = start + 1
                } else {
                    inClass = true
                    out += negated ? "[^" : "["
                    i = start
                }
            case "$": out += #"\z"#
            case ".": out += #"[^\n\r\x{2028}\x{2029}]"#
            default: out.unicodeScalars.append(c)
            }
        }
        guard !inClass else { throw SyntaxError(reason: "a character class \"[\" is never closed") }
        return out
    }

    /// One escape sequence (the character after the backslash), in or out of a character class.
    private static func escape(_ c: Unicode.Scalar, inClass: Bool) throws(SyntaxError) -> String {
        switch c {
        case "d": return inClass ? "0-9" : "[0-9]"
        case "D": return "[^0-9]"
        case "w": return inClass ? word : "[\(word)]"
        case "W": return "[^\(word)]"
        case "s": return inClass ? space : "[\(space)]"
        case "S": return "[^\(space)]"
        case "b": return inClass ? #"\x{08}"# : wordBoundary
        case "B":
            guard !inClass else { throw SyntaxError(reason: "\\B is not allowed in a character class") }
            return notWordBoundary
        case "v": return #"\x{0B}"#
        case "0": return #"\x{00}"#
        case "f", "n", "r", "t", "c", "x", "u", "p", "P", "k": return "\\" + String(c)
        case "1"..."9": return "\\" + String(c)
        default:
            // ECMA gives no other letter or digit a meaning, while ICU gives many (\A, \Z, \Q, \h…).
            if c.properties.isAlphabetic || c.properties.numericType != nil {
                throw SyntaxError(reason: "\\\(c) is not an ECMA-262 escape")
            }
            return "\\" + String(c)
        }
    }
}
