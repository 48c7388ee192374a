extension KafkaConsumer {
    /// The consumer's lifecycle. Methods return what the caller must do, and the caller acts after releasing
    /// the lock (STYLE.md §10).
    struct StateMachine: Sendable {
        enum State: Sendable, Equatable {
            /// Created; neither subscribed nor assigned.
            case idle
            /// Subscribed to topics or assigned partitions; `next()` polls.
            case consuming
            /// `close()` is running.
            case closing
            /// Closed; every call but `close()` throws.
            case closed
        }

        private(set) var state: State = .idle

        enum StartAction: Equatable {
            /// Subscribe or assign now.
            case start
            /// The consumer is closing or closed.
            case throwClosed
        }

        /// Called before subscribing or assigning.
        mutating func start() -> StartAction {
            switch state {
            case .idle, .consuming:
                state = .consuming
                return .start
            case .closing, .closed:
                return .throwClosed
            }
        }

        enum NextAction: Equatable {
            /// Poll librdkafka.
            case poll
            /// End the sequence.
            case finish
            /// Nothing to poll: subscribe or assign first.
            case throwNotStarted
        }

        /// Called by every `next()`.
        func next() -> NextAction {
            switch state {
            case .idle: .throwNotStarted
            case .consuming: .poll
            case .closing, .closed: .finish
            }
        }

        enum OperationAction: Equatable {
            /// Go ahead (store, commit, pause, resume).
            case proceed
            /// The consumer is closed.
            case throwClosed
        }

        /// Called before operations that need an open handle.
        func operation() -> OperationAction {
            state == .closed ? .throwClosed : .proceed
        }

        enum CloseAction: Equatable {
            /// Close the librdkafka consumer.
            case close
            /// Someone else is closing, or it is closed already.
            case none
        }

        /// Called by `close()`.
        mutating func close() -> CloseAction {
            switch state {
            case .idle, .consuming:
                state = .closing
                return .close
            case .closing, .closed:
                return .none
            }
        }

        /// Called when the librdkafka close returned.
        mutating func closed() {
            precondition(state == .closing, "closed() without close()")
            state = .closed
        }
    }
}

extension KafkaConsumer {
    /// Drives the lifecycle state machine without I/O, for tests; actions are returned by name.
    public struct StateMachineProbe: Sendable {
        private var machine = StateMachine()

        /// A machine in its initial state.
        public init() {}

        public mutating func start() -> String { "\(machine.start())" }
        public func next() -> String { "\(machine.next())" }
        public func operation() -> String { "\(machine.operation())" }
        public mutating func close() -> String { "\(machine.close())" }
        public mutating func closed() { machine.closed() }
    }
}
