/// The `format` values worth checking in MCP tool arguments: date-time, date, time (RFC 3339), uri
/// (RFC 3986, absolute), email (RFC 5321 mailbox), uuid, ipv4 and ipv6. All are ASCII grammars,
/// so they are checked on the UTF-8 bytes: a non-ASCII digit is never a digit here.
enum StringFormats {
    /// Whether a string has the format, and what the format expects, for the violation message.
    struct Verdict {
        let isValid: Bool
        let expectation: String
    }

    /// The verdict for a known format; nil for formats this validator does not know, which pass.
    static func check(_ format: String, _ value: String) -> Verdict? {
        let b = Array(value.utf8)
        switch format {
        case "date-time": return Verdict(isValid: isDateTime(b), expectation: "a date-time such as \"2025-06-18T09:30:00Z\" (RFC 3339)")
        case "date": return Verdict(isValid: isDate(b[...]), expectation: "a date such as \"2025-06-18\"")
        case "time": return Verdict(isValid: isTime(b[...]), expectation: "a time with an offset such as \"09:30:00Z\" (RFC 3339)")
        case "uri": return Verdict(isValid: isURI(b), expectation: "an absolute URI such as \"https://example.com/path\"")
        case "email": return Verdict(isValid: isEmail(b), expectation: "an email address such as \"name@example.com\"")
        case "uuid": return Verdict(isValid: isUUID(b), expectation: "a UUID such as \"123e4567-e89b-12d3-a456-426614174000\"")
        case "ipv4": return Verdict(isValid: isIPv4(b[...]), expectation: "an IPv4 address such as \"192.168.0.1\"")
        case "ipv6": return Verdict(isValid: isIPv6(b[...]), expectation: "an IPv6 address such as \"2001:db8::1\"")
        default: return nil
        }
    }

    // MARK: RFC 3339

    static func isDateTime(_ b: [UInt8]) -> Bool {
        guard b.count > 11, b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t") else { return false }
        return isDate(b[..<10]) && isTime(b[11...])
    }

    static func isDate(_ b: ArraySlice<UInt8>) -> Bool {
        guard b.count == 10, let year = digits(b, 0, 4), b[b.startIndex + 4] == UInt8(ascii: "-"),
            let month = digits(b, 5, 2), b[b.startIndex + 7] == UInt8(ascii: "-"), let day = digits(b, 8, 2),
            (1...12).contains(month)
        else { return false }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let lengths = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return (1...lengths[month - 1]).contains(day)
    }

    /// `full-time`: `HH:MM:SS[.fraction]` then `Z` or `±HH:MM`. A leap second (`:60`) is only valid at
    /// 23:59 UTC, once the offset is taken off.
    static func isTime(_ b: ArraySlice<UInt8>) -> Bool {
        let s = b.startIndex
        guard b.count >= 9, let hour = digits(b, 0, 2), b[s + 2] == UInt8(ascii: ":"), let minute = digits(b, 3, 2),
            b[s + 5] == UInt8(ascii: ":"), let second = digits(b, 6, 2), hour <= 23, minute <= 59, second <= 60
        else { return false }
        var i = s + 8
        if b[i] == UInt8(ascii: ".") {
            i += 1
            let start = i
            while i < b.endIndex, isDigit(b[i]) { i += 1 }
            guard i > start else { return false }
        }
        let offset = b[i...]
        var offsetMinutes = 0
        if offset.count == 1, offset.first == UInt8(ascii: "Z") || offset.first == UInt8(ascii: "z") {
            offsetMinutes = 0
        } else if offset.count == 6, let sign = offset.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-"),
            let oh = digits(offset, 1, 2), offset[offset.startIndex + 3] == UInt8(ascii: ":"), let om = digits(offset, 4, 2),
            oh <= 23, om <= 59
        {
            offsetMinutes = (sign == UInt8(ascii: "+") ? 1 : -1) * (oh * 60 + om)
        } else {
            return false
        }
        guard second == 60 else { return true }
        let utc = ((hour * 60 + minute - offsetMinutes) % 1440 + 1440) % 1440
        return utc == 23 * 60 + 59
    }

    // MARK: Identifiers and addresses

    static func isUUID(_ b: [UInt8]) -> Bool {
        guard b.count == 36 else { return false }
        return b.enumerated().allSatisfy { index, byte in
            [8, 13, 18, 23].contains(index) ? byte == UInt8(ascii: "-") : isHex(byte)
        }
    }

    /// Dotted decimal, four parts, no leading zeros (`087` might be read as octal elsewhere).
    static func isIPv4(_ b: ArraySlice<UInt8>) -> Bool {
        let parts = b.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in
            guard (1...3).contains(part.count), let value = digits(part, 0, part.count) else { return false }
            return value <= 255 && (part.count == 1 || part.first != UInt8(ascii: "0"))
        }
    }

    /// RFC 4291 text form: eight groups of 1–4 hex digits, one `::` standing for one or more zero
    /// groups, and optionally a dotted IPv4 address as the last two groups. No zone, no brackets.
    static func isIPv6(_ b: ArraySlice<UInt8>) -> Bool {
        let colon = UInt8(ascii: ":")
        var halves: [ArraySlice<UInt8>] = []
        var start = b.startIndex
        var i = b.startIndex
        while i < b.endIndex {
            if b[i] == colon, i + 1 < b.endIndex, b[i + 1] == colon {
                halves.append(b[start..<i])
                i += 2
                start = i
            } else {
                i += 1
            }
        }
        halves.append(b[start..<b.endIndex])
        guard halves.count <= 2 else { return false }
        var groups = 0
        for (index, half) in halves.enumerated() where !half.isEmpty {
            let parts = half.split(separator: colon, omittingEmptySubsequences: false)
            for (position, part) in parts.enumerated() {
                let isLast = index == halves.count - 1 && position == parts.count - 1
                if isLast, part.contains(UInt8(ascii: ".")) {
                    guard isIPv4(part) else { return false }
                    groups += 2
                } else {
                    guard (1...4).contains(part.count), part.allSatisfy(isHex) else { return false }
                    groups += 1
                }
            }
        }
        return halves.count == 2 ? groups <= 7 : groups == 8
    }

    /// `local@domain`: the local part a dot-atom or a quoted string; the domain a host name or an
    /// address literal (`[127.0.0.1]`, `[IPv6:::1]`).
    static func isEmail(_ b: [UInt8]) -> Bool {
        guard let at = b.lastIndex(of: UInt8(ascii: "@")) else { return false }
        let local = b[..<at]
        let domain = b[(at + 1)...]
        return isLocalPart(local) && isMailDomain(domain)
    }

    private static func isLocalPart(_ b: ArraySlice<UInt8>) -> Bool {
        let quote = UInt8(ascii: "\"")
        if b.count >= 2, b.first == quote, b.last == quote {
            var escaped = false
            for byte in b.dropFirst().dropLast() {
                guard (32...126).contains(byte) else { return false }
                if escaped { escaped = false; continue }
                if byte == UInt8(ascii: "\\") { escaped = true; continue }
                if byte == quote { return false }
            }
            return !escaped
        }
        let atext = Set("!#$%&'*+-/=?^_`{|}~".utf8)
        let atoms = b.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        return atoms.allSatisfy { atom in
            !atom.isEmpty && atom.allSatisfy { isAlphanumeric($0) || atext.contains($0) }
        }
    }

    private static func isMailDomain(_ b: ArraySlice<UInt8>) -> Bool {
        if b.first == UInt8(ascii: "["), b.last == UInt8(ascii: "]"), b.count >= 2 {
            let literal = b.dropFirst().dropLast()
            let tag = Array("IPv6:".utf8)
            if literal.starts(with: tag) { return isIPv6(literal.dropFirst(tag.count)) }
            return isIPv4(literal)
        }
        return isHostName(b)
    }

    /// DNS labels of letters, digits and inner hyphens, each at most 63 bytes.
    static func isHostName(_ b: ArraySlice<UInt8>) -> Bool {
        guard !b.isEmpty, b.count <= 253 else { return false }
        return b.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false).allSatisfy { label in
            (1...63).contains(label.count) && label.first != UInt8(ascii: "-") && label.last != UInt8(ascii: "-")
                && label.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "-") }
        }
    }

    // MARK: RFC 3986

    private static let subDelimiters = Set("!$&'()*+,;=".utf8)

    /// An absolute URI: `scheme:`, an optional `//authority`, a path, `?query` and `#fragment`, each
    /// character allowed where it stands or percent-encoded.
    static func isURI(_ b: [UInt8]) -> Bool {
        guard let colon = b.firstIndex(of: UInt8(ascii: ":")), colon > 0, isLetter(b[0]),
            b[1..<colon].allSatisfy({ isAlphanumeric($0) || "+-.".utf8.contains($0) })
        else { return false }
        var rest = b[(colon + 1)...]
        if let hash = rest.firstIndex(of: UInt8(ascii: "#")) {
            guard isEncoded(rest[(hash + 1)...], extra: "/?:@") else { return false }
            rest = rest[..<hash]
        }
        if let question = rest.firstIndex(of: UInt8(ascii: "?")) {
            guard isEncoded(rest[(question + 1)...], extra: "/?:@") else { return false }
            rest = rest[..<question]
        }
        if rest.starts(with: "//".utf8) {
            let authority = rest.dropFirst(2)
            let end = authority.firstIndex(of: UInt8(ascii: "/")) ?? authority.endIndex
            guard isAuthority(authority[..<end]) else { return false }
            rest = authority[end...]
        }
        return isEncoded(rest, extra: "/:@")
    }

    /// `[userinfo@]host[:port]`, the host a name, an IPv4 address or a bracketed IP literal.
    private static func isAuthority(_ b: ArraySlice<UInt8>) -> Bool {
        var host = b
        if let at = b.lastIndex(of: UInt8(ascii: "@")) {
            guard isEncoded(b[..<at], extra: ":") else { return false }
            host = b[(at + 1)...]
        }
        var port = ArraySlice<UInt8>()
        if host.first == UInt8(ascii: "[") {
            guard let close = host.firstIndex(of: UInt8(ascii: "]")) else { return false }
            let literal = host[(host.startIndex + 1)..<close]
            guard isIPv6(literal) || isIPvFuture(literal) else { return false }
            let after = host[(close + 1)...]
            if let first = after.first {
                guard first == UInt8(ascii: ":") else { return false }
                port = after.dropFirst()
            }
        } else {
            if let colon = host.firstIndex(of: UInt8(ascii: ":")) {
                port = host[(colon + 1)...]
                host = host[..<colon]
            }
            guard isEncoded(host, extra: "") else { return false }
        }
        return port.allSatisfy(isDigit)
    }

    /// `v` hex-digits `.` then unreserved, sub-delimiter or `:` characters.
    private static func isIPvFuture(_ b: ArraySlice<UInt8>) -> Bool {
        guard b.first == UInt8(ascii: "v") || b.first == UInt8(ascii: "V"),
            let dot = b.firstIndex(of: UInt8(ascii: "."))
        else { return false }
        let version = b[(b.startIndex + 1)..<dot]
        let address = b[(dot + 1)...]
        return !version.isEmpty && version.allSatisfy(isHex) && !address.isEmpty
            && address.allSatisfy { isUnreserved($0) || subDelimiters.contains($0) || $0 == UInt8(ascii: ":") }
    }

    /// Every byte unreserved, a sub-delimiter, one of `extra`, or part of a `%XX` escape.
    private static func isEncoded(_ b: ArraySlice<UInt8>, extra: String) -> Bool {
        var i = b.startIndex
        while i < b.endIndex {
            let byte = b[i]
            if byte == UInt8(ascii: "%") {
                guard i + 2 < b.endIndex, isHex(b[i + 1]), isHex(b[i + 2]) else { return false }
                i += 3
                continue
            }
            guard isUnreserved(byte) || subDelimiters.contains(byte) || extra.utf8.contains(byte) else { return false }
            i += 1
        }
        return true
    }

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        isAlphanumeric(byte) || "-._~".utf8.contains(byte)
    }

    // MARK: Bytes

    /// The decimal value of `count` ASCII digits at `offset` into the slice, or nil.
    static func digits(_ b: ArraySlice<UInt8>, _ offset: Int, _ count: Int) -> Int? {
        let start = b.startIndex + offset
        guard count > 0, start + count <= b.endIndex else { return nil }
        var value = 0
        for byte in b[start..<(start + count)] {
            guard isDigit(byte) else { return nil }
            value = value * 10 + Int(byte - 0x30)
        }
        return value
    }

    static func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }
    static func isHex(_ byte: UInt8) -> Bool { isDigit(byte) || (0x41...0x46).contains(byte) || (0x61...0x66).contains(byte) }
    static func isAlphanumeric(_ byte: UInt8) -> Bool { isDigit(byte) || isLetter(byte) }
    static func isLetter(_ byte: UInt8) -> Bool { (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) }
}
