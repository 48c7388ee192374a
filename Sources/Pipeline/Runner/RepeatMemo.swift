import Normalizer
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What recent payloads normalized to, so a byte-identical repeat skips parsing and decoding.
///
/// Storms repeat themselves byte for byte: Alertmanager re-sends an unchanged group every `repeat_interval`, each
/// replica of an HA pair sends the same notification, senders retry. A repeat of bytes whose normalization read
/// nothing but the bytes (``Normalizer/Normalization/readsTransport`` is `false`) normalizes to the same events, so
/// they are taken from here. Normalizations that read the record's timestamp, id or headers are never kept.
///
/// A payload's events are kept from its second sighting on (the first only leaves its digest), so unique payloads
/// cost an integer each. Bounded by an approximate byte budget (payload plus events, estimated at twice the payload plus a fixed amount
/// per event); two generations give least-recently-used behaviour without per-hit bookkeeping: entries live in the
/// current generation, a hit in the previous one moves the entry forward, and when the current generation fills
/// half the budget it becomes the previous one and the older one is dropped.
final class RepeatMemo: Sendable {
    /// What the memo is looked up by: the source topic (its route), the `ingestor-format` header, the bytes.
    struct Key: Hashable, Sendable {
        let topic: String
        let format: String?
        let payload: [UInt8]
        let digest: Int

        init(topic: String, format: String?, payload: [UInt8]) {
            self.topic = topic
            self.format = format
            self.payload = payload
            var hasher = Hasher()
            payload.withUnsafeBytes { hasher.combine(bytes: $0) }
            hasher.combine(topic)
            hasher.combine(format)
            digest = hasher.finalize()
        }

        func hash(into hasher: inout Hasher) { hasher.combine(digest) }

        static func == (lhs: Key, rhs: Key) -> Bool {
            guard lhs.digest == rhs.digest, lhs.payload.count == rhs.payload.count, lhs.topic == rhs.topic,
                lhs.format == rhs.format
            else { return false }
            return lhs.payload.withUnsafeBytes { left in
                rhs.payload.withUnsafeBytes { right in
                    left.count == 0 || memcmp(left.baseAddress!, right.baseAddress!, left.count) == 0
                }
            }
        }
    }

    private struct Generations {
        var current: [Key: [NormalizedEvent]] = [:]
        var currentBytes = 0
        var previous: [Key: [NormalizedEvent]] = [:]
        /// Digests of payloads seen once: events are kept from a payload's second sighting on, so a stream of
        /// unique payloads costs a set of integers, not a copy of every payload and its events.
        var seen: Set<Int> = []
        var seenBefore: Set<Int> = []
    }

    /// Digests remembered per generation of ``Generations/seen`` (two generations: up to twice this many).
    static let seenPerGeneration = 32_768

    /// Payloads larger than this are not kept: big payloads are rarely repeated storms, and would crowd out many
    /// small ones.
    static let largestPayload = 64 * 1024

    private let budget: Int
    private let state = Mutex(Generations())

    /// Creates a memo holding about `budgetBytes`; zero turns it off.
    init(budgetBytes: Int) {
        budget = max(0, budgetBytes)
    }

    /// Whether the memo keeps anything at all.
    var isEnabled: Bool { budget > 0 }

    /// The events `key`'s bytes normalized to, when they are remembered.
    func events(for key: Key) -> [NormalizedEvent]? {
        state.withLock { state in
            if let events = state.current[key] { return events }
            guard let events = state.previous.removeValue(forKey: key) else { return nil }
            Self.insert(key, events, into: &state, budget: budget)
            return events
        }
    }

    /// Remembers a normalization when it depended on the bytes alone, fits, and its bytes were seen before.
    func remember(_ key: Key, _ normalization: Normalizer.Normalization) {
        guard isEnabled, !normalization.readsTransport, key.payload.count <= Self.largestPayload else { return }
        state.withLock { state in
            guard state.seen.contains(key.digest) || state.seenBefore.contains(key.digest) else {
                if state.seen.count >= Self.seenPerGeneration {
                    state.seenBefore = state.seen
                    state.seen = []
                }
                state.seen.insert(key.digest)
                return
            }
            Self.insert(key, normalization.events, into: &state, budget: budget)
        }
    }

    private static func insert(_ key: Key, _ events: [NormalizedEvent], into state: inout Generations, budget: Int) {
        let cost = key.payload.count * 2 + events.count * 256 + 128
        if state.currentBytes + cost > budget / 2 {
            state.previous = state.current
            state.current = [:]
            state.currentBytes = 0
        }
        state.current[key] = events
        state.currentBytes += cost
    }
}
