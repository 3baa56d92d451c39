/// A one-shot stop request that may arrive before or after its action is registered.
public actor StopSignal {
    private var fired = false
    private var action: (@Sendable () async -> Void)?

    public init() {}

    public func fire() async {
        guard !fired else { return }
        fired = true
        await action?()
    }

    public func onFire(_ action: @escaping @Sendable () async -> Void) async {
        self.action = action
        if fired { await action() }
    }
}
