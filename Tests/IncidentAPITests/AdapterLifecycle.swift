import IncidentAPI
import IncidentAPIFakes
import Logging
import Normalizer
import Testing

/// Drives `target` through create → update → comment → resolve and checks every call succeeded.
/// - Returns: the incident id the create returned.
@discardableResult
func runLifecycle(
    _ target: any IncidentTarget,
    key: String = "am:0123456789abcdef",
    expectComment: Bool = true,
    sourceLocation: SourceLocation = #_sourceLocation
) async throws -> String {
    let created = await target.execute(
        IncidentCommand(action: .create, dedupKey: key, event: sampleEvent, reason: "new")
    )
    guard case .success(let id?, _) = created else {
        Issue.record("create failed: \(created)", sourceLocation: sourceLocation)
        throw TargetFailureOutcome(created)
    }
    var changed = sampleEvent
    changed.severity = .critical
    changed.title = "DiskFull on db-1 \"quoted\" & <tagged>"
    let updated = await target.execute(
        IncidentCommand(action: .update, dedupKey: key, externalID: id, event: changed, reason: "severity")
    )
    #expect(updated.failure == nil, "update: \(updated)", sourceLocation: sourceLocation)
    var reply = changed
    reply.description = "Looking into it.\nLine two."
    reply.isReply = true
    let commented = await target.execute(
        IncidentCommand(action: .comment, dedupKey: key, externalID: id, event: reply, reason: "reply")
    )
    if expectComment {
        #expect(commented.failure == nil, "comment: \(commented)", sourceLocation: sourceLocation)
    } else {
        #expect(commented.failure?.code == .unsupported, "comment: \(commented)", sourceLocation: sourceLocation)
    }
    changed.status = .resolved
    changed.resolvedAt = Timestamp(rfc3339: "2024-05-01T12:30:00Z")
    let resolved = await target.execute(
        IncidentCommand(action: .resolve, dedupKey: key, externalID: id, event: changed, reason: "resolved")
    )
    #expect(resolved.failure == nil, "resolve: \(resolved)", sourceLocation: sourceLocation)
    return id
}

/// Runs `body` with a fake server for `api` and a libcurl client.
func withFake<Result: Sendable>(
    _ api: any FakeVendorAPI,
    faults: FakeFaults = FakeFaults(),
    _ body: @Sendable (FakeIncidentAPIServer, String, CurlHTTPClient) async throws -> Result
) async throws -> Result {
    let server = FakeIncidentAPIServer(api: api, faults: faults, logger: testLogger)
    return try await server.withRunning { baseURL in
        let client = CurlHTTPClient(logger: testLogger)
        defer { client.shutdown() }
        return try await body(server, baseURL, client)
    }
}
