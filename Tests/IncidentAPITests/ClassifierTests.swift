import IncidentAPI
import Normalizer
import Testing

@Suite("Response classification")
struct ClassifierTests {
    let classifier = DevRevResponseClassifier(redactor: Redactor(secrets: [Secret("s3cr3t-token-value")]))

    func response(_ status: Int, _ body: String, headers: [HTTPHeader] = []) -> HTTPResponse {
        HTTPResponse(status: status, headers: headers, body: Array(body.utf8))
    }

    @Test(arguments: [
        (201, #"{"incident":{"id":"don:1"}}"#, "success"),
        (200, #"{"incident":{}}"#, "permanent"),
        (400, #"{"type":"invalid_field","message":"bad"}"#, "permanent"),
        (401, #"{"type":"unauthenticated"}"#, "auth"),
        (403, #"{"type":"forbidden"}"#, "permanent"),
        (404, #"{"type":"not_found"}"#, "permanent"),
        (408, "", "retryable"),
        (409, #"{"type":"conflict"}"#, "permanent"),
        (429, #"{"type":"too_many_requests","retry_after":7}"#, "retryable"),
        (500, #"{"type":"internal_error"}"#, "retryable"),
        (501, "", "permanent"),
        (503, #"{"type":"service_unavailable"}"#, "retryable"),
    ])
    func statusTable(status: Int, body: String, expected: String) {
        let outcome = classifier.classify(response(status, body), for: .create)
        let kind: String
        switch outcome {
        case .success: kind = "success"
        case .retryable: kind = "retryable"
        case .authFailure: kind = "auth"
        case .permanent: kind = "permanent"
        }
        #expect(kind == expected, "HTTP \(status)")
    }

    @Test func retryAfterHeaderWinsOverTheBodyHint() {
        let outcome = classifier.classify(
            response(429, #"{"type":"too_many_requests","retry_after":7}"#, headers: [HTTPHeader("Retry-After", "3")]),
            for: .update
        )
        #expect(outcome == .retryable(outcome.failure!, retryAfter: .after(.seconds(3))))
    }

    @Test func devRevRetryAfterBodyIsUsedWithoutAHeader() {
        let outcome = classifier.classify(response(429, #"{"type":"too_many_requests","retry_after":7}"#), for: .update)
        guard case .retryable(let failure, let hint) = outcome else {
            Issue.record("expected retryable, got \(outcome)")
            return
        }
        #expect(hint == .after(.seconds(7)))
        #expect(failure.code == .throttled)
        #expect(failure.httpStatus == 429)
    }

    @Test func retryAfterAcceptsAnHTTPDate() {
        let hint = RetryHint(retryAfterHeader: "Wed, 01 May 2024 12:00:30 GMT")
        #expect(hint == .notBefore(Timestamp(rfc3339: "2024-05-01T12:00:30Z")!))
        #expect(hint?.delay(from: Timestamp(rfc3339: "2024-05-01T12:00:00Z")!) == .seconds(30))
        #expect(hint?.delay(from: Timestamp(rfc3339: "2024-05-01T13:00:00Z")!) == .zero)
        #expect(RetryHint(retryAfterHeader: "soon") == nil)
    }

    @Test func rejectionCarriesTheVendorTypeAndARedactedExcerpt() {
        let outcome = classifier.classify(
            response(
                400,
                #"{"type":"invalid_field","message":"bad token s3cr3t-token-value","detail":"Authorization: Bearer abcdefghijk"}"#
            ),
            for: .create
        )
        guard case .permanent(let failure) = outcome else {
            Issue.record("expected permanent, got \(outcome)")
            return
        }
        #expect(failure.code == .rejected)
        #expect(failure.message.hasPrefix("DevRev invalid_field"))
        #expect(failure.responseExcerpt?.contains("s3cr3t-token-value") == false)
        #expect(failure.responseExcerpt?.contains("abcdefghijk") == false)
        #expect(failure.responseExcerpt?.contains("[REDACTED]") == true)
    }

    @Test func transportFailuresRetryUnlessTheyCannotImprove() {
        #expect(classifier.classify(HTTPTransportError(.timeout, "t")).failure?.code == .transport)
        if case .retryable = classifier.classify(HTTPTransportError(.connect, "refused")) {
        } else {
            Issue.record("connect must retry")
        }
        if case .permanent = classifier.classify(HTTPTransportError(.responseTooLarge, "big")) {
        } else {
            Issue.record("size must be final")
        }
    }

    @Test func lookupReadsTheFirstIncidentId() {
        #expect(
            classifier.classifyLookup(response(200, #"{"incidents":[{"id":"don:9"}]}"#))
                == .found(externalID: "don:9", status: .unknown)
        )
        #expect(classifier.classifyLookup(response(200, #"{"incidents":[]}"#)) == .notFound)
    }

    /// The list holds a key's closed incidents too: the open one is taken wherever it is listed, and each one's
    /// status comes from `stage.state.is_final`, else from its stage.
    @Test func lookupPrefersTheOpenIncidentAndReadsItsStatus() {
        let closedThenOpen = #"""
            {"incidents":[
              {"id":"don:1","stage":{"stage":{"id":"don:s/4","name":"resolved"},"state":{"name":"closed","is_final":true}}},
              {"id":"don:2","stage":{"stage":{"id":"don:s/1","name":"triage"},"state":{"name":"open","is_final":false}}}
            ]}
            """#
        #expect(classifier.classifyLookup(response(200, closedThenOpen)) == .found(externalID: "don:2", status: .open))
        let onlyClosed = #"{"incidents":[{"id":"don:1","stage":{"stage":{"id":"don:s/4"}}}]}"#
        #expect(
            classifier.classifyLookup(response(200, onlyClosed), resolvedStage: "don:s/4")
                == .found(externalID: "don:1", status: .closed),
            "without a state, the configured resolved stage marks it closed"
        )
        let canceled = #"{"incidents":[{"id":"don:1","stage":{"stage":{"id":"don:s/9","name":"canceled"}}}]}"#
        #expect(
            classifier.classifyLookup(response(200, canceled), resolvedStage: "don:s/4")
                == .found(externalID: "don:1", status: .closed)
        )
        let triage = #"{"incidents":[{"id":"don:1","stage":{"stage":{"id":"don:s/1","name":"triage"}}}]}"#
        #expect(
            classifier.classifyLookup(response(200, triage), resolvedStage: "don:s/4")
                == .found(externalID: "don:1", status: .open)
        )
    }
}

@Suite("Secrets")
struct SecretTests {
    @Test func secretNeverPrintsItself() {
        let secret = Secret("hunter2-hunter2")
        #expect("\(secret)" == "<redacted>")
        #expect(String(reflecting: secret) == "<redacted>")
        var dumped = ""
        dump(secret, to: &dumped)
        #expect(!dumped.contains("hunter2"))
    }

    @Test func redactorRemovesKnownSecretsAndCredentialShapedValues() {
        let redactor = Redactor(secrets: [Secret("abc123secret")])
        let text = redactor.redact(
            #"x abc123secret y {"access_token":"zzzzzzzz","password":"pw12345"} Authorization: Bearer qwertyuiop token=tttttt"#
        )
        for leaked in ["abc123secret", "zzzzzzzz", "pw12345", "qwertyuiop", "tttttt"] {
            #expect(!text.contains(leaked), "\(leaked) leaked in \(text)")
        }
    }
}

@Suite("Vendor answers")
struct VendorResponseClassifierTests {
    static let infraon = VendorResponseClassifier(
        vendor: "Infraon",
        messageKeys: ["error", "msg"],
        statusErrorOnSuccess: true,
        redactor: Redactor(secrets: [Secret("hunter2-secret")])
    )

    @Test(arguments: [
        (200, #"{"status":"success"}"#, nil as String?),
        (201, #""f7114aef""#, nil),
        (200, #"{"status":"error","msg":"summary is required"}"#, "target_rejected: Infraon: summary is required"),
        (400, #"{"error":"Please provide username."}"#, "target_rejected: Infraon: Please provide username."),
        (401, #"{"error":"Invalid API key."}"#, "target_unauthorized: Infraon: Invalid API key."),
        (403, "not json", "target_forbidden: the credentials lack a permission"),
        (404, "{}", "target_not_found: the API does not know the resource"),
        (429, "{}", "target_throttled: the API's rate limit was hit"),
        (503, #"{"error":"down"}"#, "target_unavailable: Infraon: down"),
        (400, #"{"error":"bad password hunter2-secret"}"#, "target_rejected: Infraon: bad password [REDACTED]"),
    ])
    func table(_ status: Int, _ body: String, _ expected: String?) {
        let outcome = Self.infraon.failure(of: HTTPResponse(status: status, body: Array(body.utf8)))
        #expect(outcome?.failure.map { "\($0.code): \($0.message)" } == expected)
    }

    @Test func retryableAndAuthKindsFollowTheStatus() {
        let throttled = Self.infraon.failure(
            of: HTTPResponse(status: 429, headers: [HTTPHeader("Retry-After", "7")], body: [])
        )
        #expect(throttled == .retryable(throttled!.failure!, retryAfter: .after(.seconds(7))))
        guard case .authFailure = Self.infraon.failure(of: HTTPResponse(status: 401, body: [])) else {
            Issue.record("401 is an auth failure")
            return
        }
    }
}
