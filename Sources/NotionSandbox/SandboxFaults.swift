import KeeperCore

/// Decides which faults hit which call, as a pure function of the seed and the call's number, so a
/// run repeats exactly, also across restarts when the call count is kept in a fault-state file.
struct SandboxFaults: Sendable {
    let options: SandboxOptions

    func rateLimits(call: Int) -> Bool {
        options.rateLimitRatio > 0 && roll(call, salt: 0x5241_5445) < options.rateLimitRatio
    }

    func crashes(atCall call: Int) -> SandboxOptions.CrashPoint? {
        if options.crashAfter == call { return options.crashPoint }
        if options.crashRatio > 0, roll(call, salt: 0x4352_4153) < options.crashRatio { return options.crashPoint }
        return nil
    }

    func malformed(atRequest request: Int) -> Bool { options.malformedAfter == request }

    /// A uniform number in [0, 1) for this call and fault kind.
    private func roll(_ call: Int, salt: UInt64) -> Double {
        var generator = SplitMix64(seed: options.seed &* 0x9E37_79B9 ^ UInt64(call) &* 0x1000_0000_01B3 ^ salt)
        return Double(generator.next() >> 11) / Double(1 << 53)
    }
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
