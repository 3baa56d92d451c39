import KeeperCore

/// Decides, deterministically from the seed and the call count, which faults hit which request.
struct SandboxFaults: Sendable {
    let options: SandboxOptions
    private var random: SplitMix64

    init(options: SandboxOptions) {
        self.options = options
        random = SplitMix64(seed: options.seed)
    }

    mutating func rateLimits() -> Bool {
        guard options.rateLimitRatio > 0 else { return false }
        return Double(random.next() >> 11) / Double(1 << 53) < options.rateLimitRatio
    }

    func crashes(atCall call: Int) -> SandboxOptions.CrashPoint? {
        options.crashAfter == call ? options.crashPoint : nil
    }

    func malformed(atRequest request: Int) -> Bool { options.malformedAfter == request }
}

/// A tiny, seedable PRNG (Steele, Lea and Flood's SplitMix64), so fault runs are repeatable.
struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
