public import Pipeline
import Synchronization

/// A dead-letter sink that keeps letters in memory, optionally failing the first publishes.
public final class RecordingDeadLetterSink: DeadLetterSink {
    private let state = Mutex<(letters: [DeadLetter], failuresLeft: Int)>(([], 0))

    /// Creates a sink that refuses the first `failFirst` publishes.
    public init(failFirst: Int = 0) {
        state.withLock { $0.failuresLeft = failFirst }
    }

    public var destination: String { "memory" }

    public func publish(_ letter: DeadLetter) async throws {
        try state.withLock { state in
            if state.failuresLeft > 0 {
                state.failuresLeft -= 1
                throw SinkUnavailable()
            }
            state.letters.append(letter)
        }
    }

    /// Letters acknowledged, in order.
    public var letters: [DeadLetter] { state.withLock { $0.letters } }

    struct SinkUnavailable: Error {}
}
