import Dispatch

/// Runs librdkafka calls that block (timed polls, sync commits, close, flush, metadata) on Dispatch threads, never
/// on Swift's cooperative pool (STYLE.md §6).
struct BlockingCall: Sendable {
    private let queue: DispatchQueue

    /// A serial lane; calls on it run one at a time in submission order.
    init(label: String) {
        queue = DispatchQueue(label: label)
    }

    /// Runs `body` on the lane and returns its result.
    func run<Result: Sendable>(_ body: @escaping @Sendable () throws -> Result) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Swift.Result { try body() })
            }
        }
    }
}
