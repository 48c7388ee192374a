public import Normalizer
import Synchronization

/// What a fake API remembers: its incidents and every request it received, for `/_mock/incidents` and
/// `/_mock/requests` and for tests.
public final class FakeLedger: Sendable {
    /// One incident as the fake holds it.
    public struct Incident: Sendable, Hashable {
        /// The vendor id.
        public var id: String
        /// The human id, e.g. `INC-7`.
        public var displayID: String
        /// The external reference / dedup key the client stored, if any.
        public var externalReference: String?
        /// The current fields in the vendor's own shape.
        public var fields: JSONObject
        /// Whether the incident is resolved.
        public var isResolved: Bool
        /// The operations that changed it, in order (`create`, `update`, `resolve`, `comment`, `reopen`).
        public var calls: [String]
        /// Its fields after the create and after every change, in order: what a person watching it saw.
        public var history: [JSONObject] = []
        /// Comments, notes and timeline entries, oldest first: records of their own that no field update touches.
        public var notes: [String] = []
    }

    /// One request as received.
    public struct Request: Sendable, Hashable {
        /// Sequence number from 1.
        public var sequence: Int
        /// Method.
        public var method: String
        /// Path.
        public var path: String
        /// Header fields with lower-cased names; credentials show only their scheme (`Bearer [redacted]`), so the
        /// form a client used is visible and its secret is not.
        public var headers: [String: String]
        /// Body as text.
        public var body: String
        /// The status the fake answered.
        public var status: Int
        /// When the request arrived (monotonic; for latency and rate measurements in the same process).
        public var receivedAt: ContinuousClock.Instant
    }

    private struct State {
        var incidents: [Incident] = []
        var index: [String: Int] = [:]
        var requests: [Request] = []
        var apiRequestCount = 0
        var random: SplitMix64
    }

    private let state: Mutex<State>

    /// Creates an empty ledger.
    public init(seed: UInt64 = 1) {
        state = Mutex(State(random: SplitMix64(seed: seed)))
    }

    /// Every incident, in creation order.
    public var incidents: [Incident] { state.withLock { $0.incidents } }

    /// Every request, in arrival order.
    public var requests: [Request] { state.withLock { $0.requests } }

    /// The incident with `id`.
    public func incident(_ id: String) -> Incident? {
        state.withLock { state in state.index[id].map { state.incidents[$0] } }
    }

    /// Adds an incident, assigning ids from `makeID` (given the 1-based number).
    func create(
        externalReference: String?,
        fields: JSONObject,
        makeID: (Int) -> (id: String, display: String)
    ) -> Incident {
        state.withLock { state in
            let (id, display) = makeID(state.incidents.count + 1)
            let incident = Incident(
                id: id,
                displayID: display,
                externalReference: externalReference,
                fields: fields,
                isResolved: false,
                calls: ["create"],
                history: [fields]
            )
            state.index[id] = state.incidents.count
            state.incidents.append(incident)
            return incident
        }
    }

    /// Changes an incident; `nil` when there is none with `id`.
    func modify(_ id: String, _ change: (inout Incident) -> Void) -> Incident? {
        state.withLock { state in
            guard let position = state.index[id] else { return nil }
            change(&state.incidents[position])
            state.incidents[position].history.append(state.incidents[position].fields)
            return state.incidents[position]
        }
    }

    /// Records a request and its answer.
    func record(_ request: FakeRequest, status: Int, receivedAt: ContinuousClock.Instant = .now) {
        state.withLock { state in
            state.requests.append(
                Request(
                    sequence: state.requests.count + 1,
                    method: request.method,
                    path: request.path,
                    headers: Self.withoutCredentials(request.headers),
                    // Login and token calls carry passwords and client secrets, PagerDuty events their routing key:
                    // /_mock/requests does not show them.
                    body: Self.isCredentialPath(request.path)
                        ? "(credentials withheld)" : Self.withoutRoutingKey(request.body),
                    status: status,
                    receivedAt: receivedAt
                )
            )
        }
    }

    /// `headers` with the value of `Authorization` replaced by its scheme word and `[redacted]`.
    static func withoutCredentials(_ headers: [String: String]) -> [String: String] {
        var shown = headers
        if let value = headers["authorization"] {
            let parts = value.split(separator: " ", maxSplits: 1)
            shown["authorization"] = parts.count == 2 ? "\(parts[0]) [redacted]" : "[redacted]"
        }
        return shown
    }

    /// `body` as text, with a JSON body's `routing_key` (PagerDuty's credential, sent in the event) masked.
    static func withoutRoutingKey(_ body: [UInt8]) -> String {
        guard var object = (try? JSONParser().parse(body))?.object, object["routing_key"] != nil else {
            return String(decoding: body, as: UTF8.self)
        }
        object["routing_key"] = .string("[redacted]")
        return JSONWriter.string(.object(object))
    }

    static func isCredentialPath(_ path: String) -> Bool {
        path.hasSuffix("/oauth/token") || path.hasSuffix("/api-token-auth/") || path.hasSuffix("/authorization/token")
            || path.hasSuffix("/oauth_token.do")
    }

    /// Counts an API request and decides which injected fault, if any, answers it.
    func nextFault(_ faults: FakeFaults) -> InjectedFault? {
        state.withLock { state in
            state.apiRequestCount += 1
            if faults.throttleEvery > 0, state.apiRequestCount % faults.throttleEvery == 0 { return .throttle }
            if faults.failRate > 0, state.random.nextUnit() < faults.failRate { return .serverError }
            return nil
        }
    }

    enum InjectedFault {
        case throttle
        case serverError
    }

    /// Incidents as `/_mock/incidents` renders them.
    public var incidentsJSON: JSONValue {
        .array(
            incidents.map { incident in
                .object(
                    JSONObject([
                        ("id", .string(incident.id)),
                        ("display_id", .string(incident.displayID)),
                        ("external_reference", incident.externalReference.map(JSONValue.string) ?? .null),
                        ("resolved", .bool(incident.isResolved)),
                        ("fields", .object(incident.fields)),
                        ("notes", .array(incident.notes.map(JSONValue.string))),
                        ("calls", .array(incident.calls.map(JSONValue.string))),
                    ])
                )
            }
        )
    }

    /// Requests as `/_mock/requests` renders them.
    public var requestsJSON: JSONValue {
        .array(
            requests.map { request in
                .object(
                    JSONObject([
                        ("sequence", .number(String(request.sequence))),
                        ("method", .string(request.method)),
                        ("path", .string(request.path)),
                        ("status", .number(String(request.status))),
                        (
                            "headers",
                            .object(
                                JSONObject(
                                    request.headers.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }
                                )
                            )
                        ),
                        ("body", .string(request.body)),
                    ])
                )
            }
        )
    }
}
