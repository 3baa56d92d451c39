import Foundation
import KeeperCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("Memory stays bounded whatever a client does")
struct BackpressureTests {
    /// Resident memory of a process, in MiB, from /proc.
    static func residentMiB(_ pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kib = Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" })[1]) else { return nil }
        return kib / 1024
    }

    @Test("a client that stops reading while the upstream floods: mcpkeeper stops reading too, and its memory stays under 100 MiB")
    func floodIntoAClientThatDoesNotRead() async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Binary.path())
        process.arguments = ["serve", "--", try Binary.path(), "sandbox", "--flood", "300000"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        let initialize = JSONValue.object(["jsonrpc": "2.0", "id": 1, "method": "initialize", "params": initializeParams]).serialized()
        input.fileHandleForWriting.write(Data((initialize + "\n" + #"{"jsonrpc":"2.0","method":"notifications/initialized"}"# + "\n").utf8))
        // 300,000 messages of 1 KB are about 300 MiB; nobody reads our stdout, so almost all must wait in the pipes.
        var peak = 0
        for _ in 0..<30 {
            try await Task.sleep(for: .milliseconds(100))
            peak = max(peak, Self.residentMiB(process.processIdentifier) ?? 0)
        }
        #expect(peak > 0)
        #expect(peak < 100, "peak RSS \(peak) MiB")
        // Reading again drains the backlog: the flood was held back, not lost.
        let reader = output.fileHandleForReading
        // Blocking reads, off the concurrency pool.
        let received = await RawHTTP.blocking {
            var received = 0
            let deadline = ContinuousClock.now + .seconds(20)
            while received < 2000, ContinuousClock.now < deadline {
                let chunk = reader.availableData
                if chunk.isEmpty { break }
                received += chunk.filter { $0 == UInt8(ascii: "\n") }.count
            }
            return received
        }
        #expect(received >= 2000)
    }
}
