/// Faults a fake API injects, to exercise retries and rate limiting.
public struct FakeFaults: Sendable, Hashable {
    /// Fraction of API requests answered with the vendor's 5xx error, 0...1; default 0.
    public var failRate: Double = 0
    /// Every N-th API request is answered 429 with the vendor's retry hint; 0 disables; default 0.
    public var throttleEvery: Int = 0
    /// Seconds the 429 answers ask the client to wait; default 1.
    public var throttleRetryAfterSeconds: Int = 1
    /// Delay before every API answer; default none.
    public var latency: Duration = .zero
    /// Delay after the API acted on a request and before it answers; default none. This is the window in which a
    /// client that crashes has created an incident without learning its id (the crash-safety tests use it).
    public var answerDelay: Duration = .zero
    /// Seed of the generator that decides which requests fail; default 1.
    public var seed: UInt64 = 1

    /// No faults.
    public init() {}
}

/// SplitMix64: a small deterministic generator, so injected failures and generated workloads repeat from one run
/// to the next.
public struct SplitMix64: Sendable {
    private var state: UInt64

    /// A generator starting from `seed`.
    public init(seed: UInt64) {
        state = seed
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform value in 0..<1.
    public mutating func nextUnit() -> Double {
        Double(next() >> 11) / Double(1 << 53)
    }
}
