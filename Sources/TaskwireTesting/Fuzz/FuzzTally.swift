/// Counts fuzz inputs per family and outcome, and keeps those that took too long.
public struct FuzzTally: Sendable, CustomStringConvertible {
    /// The time an input of `size` bytes may take: 100 ms, plus 3 µs a byte for the largest inputs
    /// (a debug build echoes a 1 MiB `id` of quotes, escaping it a byte at a time, in 1 to 2.5 s on a
    /// busy machine; linear, and a few milliseconds in a release build).
    /// Anything slower is suspect: a test times it again and records its best time, so that only an
    /// input that is slow every time counts as a hang.
    public static func timeLimit(size: Int) -> Duration {
        .milliseconds(100) + .nanoseconds(3000) * size
    }

    /// How long a test waits before timing a slow input again (`attempt` from 0): 50 ms, doubling,
    /// so that the retries span a passing stall of the machine.
    public static func pause(before attempt: Int) -> Duration {
        .milliseconds(50 << attempt)
    }

    /// An input that took longer than its ``timeLimit(size:)``.
    public struct SlowInput: Sendable {
        public var family: FuzzFamily
        public var bytes: [UInt8]
        public var elapsed: Duration
    }

    public private(set) var inputs: [FuzzFamily: Int] = [:]
    public private(set) var accepted: [FuzzFamily: Int] = [:]
    public private(set) var slow: [SlowInput] = []
    /// Time spent on each family's inputs.
    public private(set) var time: [FuzzFamily: Duration] = [:]

    public init() {}

    /// All inputs recorded.
    public var total: Int { inputs.values.reduce(0, +) }

    /// Records one input: whether it was accepted and how long it took.
    public mutating func record(_ family: FuzzFamily, _ bytes: [UInt8], accepted wasAccepted: Bool, elapsed: Duration) {
        inputs[family, default: 0] += 1
        time[family, default: .zero] += elapsed
        if wasAccepted { accepted[family, default: 0] += 1 }
        if elapsed > Self.timeLimit(size: bytes.count) { slow.append(SlowInput(family: family, bytes: bytes, elapsed: elapsed)) }
    }

    /// One line per family: inputs and how many were accepted.
    public var description: String {
        inputs.keys.sorted().map { family in
            let milliseconds = time[family, default: .zero] / .milliseconds(1)
            return "\(family.rawValue): \(inputs[family]!) inputs, \(accepted[family, default: 0]) accepted, \(Int(milliseconds)) ms"
        }.joined(separator: "\n") + "\ntotal: \(total) inputs"
    }
}
