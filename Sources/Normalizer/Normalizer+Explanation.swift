/// `ingestor normalize --explain`: the same normalization as the worker's, with its steps written down.
extension Normalizer {
    /// What one normalization did and why: the format detected, the rule each candidate decoder matched, and for a
    /// rejection the rule that refused the message.
    public struct Explanation: Sendable {
        /// The steps, in order, one line each; nested payloads (an SNS envelope's `Message`) are indented.
        public var steps: [String]
        /// The decoder that took the message, `nil` when none did.
        public var format: SourceFormat?
        /// The events, or the rejection, exactly as ``Normalizer/normalization(of:route:)`` returns them.
        public var outcome: Result<[NormalizedEvent], Rejection>
    }

    /// Normalizes one message like ``normalization(of:route:)`` and records why it came out as it did.
    public func explain(_ input: NormalizerInput, route: SourceRoute) -> Explanation {
        let trace = DetectionTrace()
        let outcome: Result<[NormalizedEvent], Rejection>
        do {
            outcome = .success(try run(input, route: route, trace: trace).events)
        } catch {
            trace.append("rejected: \(error.code): \(error.message)")
            outcome = .failure(error)
        }
        return Explanation(steps: trace.lines, format: trace.format, outcome: outcome)
    }
}
