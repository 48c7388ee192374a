import Normalizer
import Synchronization

/// Remembers the last event written per record key for a while, so that an event equal to it (every field: the
/// same content, times and labels, so the same JSON) is not written again: the delivery side would suppress it
/// anyway. Decided before the event is encoded, so a storm's repeats cost a hash each.
///
/// Bounded: two generations of at most `capacity` keys each; a key not seen for a generation is forgotten.
final class EventRepeatFilter: Sendable {
    private struct Entry {
        var digest: Int
        var at: Timestamp
    }

    private struct State {
        var current: [String: Entry] = [:]
        var previous: [String: Entry] = [:]
    }

    /// How long an event's twin is skipped; zero turns the filter off.
    let window: Duration
    private let capacity: Int
    private let state = Mutex(State())

    init(window: Duration, capacity: Int = 100_000) {
        self.window = window
        self.capacity = max(1, capacity)
    }

    /// Whether `event` is equal to the last one written for `key` within the window; otherwise it is remembered as
    /// the last one.
    func isRepeat(key: String, event: NormalizedEvent, at now: Timestamp) -> Bool {
        guard window > .zero else { return false }
        // SipHash with this process's random seed over every field: a sender cannot craft a twin of another event.
        let entry = Entry(digest: event.hashValue, at: now)
        return state.withLock { state in
            if let last = state.current[key] ?? state.previous[key], last.digest == entry.digest,
                now.duration(since: last.at) < window
            {
                return true
            }
            if state.current.count >= capacity, state.current[key] == nil {
                state.previous = state.current
                state.current.removeAll(keepingCapacity: true)
            }
            state.current[key] = entry
            return false
        }
    }
}
