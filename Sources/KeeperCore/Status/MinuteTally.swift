import Foundation

/// Counts events per minute over the last hour in 60 fixed slots, so "rate limits in the last hour"
/// costs the same memory under a storm as when idle.
struct MinuteTally: Sendable {
    private var slots = [(minute: Int64, count: Int)](repeating: (-1, 0), count: 60)

    mutating func record(at date: Date) {
        let minute = Self.minute(date)
        let index = Int(minute % 60)
        if slots[index].minute != minute { slots[index] = (minute, 0) }
        slots[index].count += 1
    }

    /// Events in the 60 minutes up to and including `now`'s minute.
    func lastHour(now: Date) -> Int {
        let current = Self.minute(now)
        return slots.filter { $0.minute >= 0 && $0.minute <= current && current - $0.minute < 60 }.reduce(0) { $0 + $1.count }
    }

    private static func minute(_ date: Date) -> Int64 { Int64((max(0, date.timeIntervalSince1970) / 60).rounded(.down)) }
}
