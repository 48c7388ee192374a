import Normalizer

/// The HTTP semantics every adapter shares (STYLE.md §17): 2xx success; 401 auth failure; 408, 429 and 5xx except
/// 501 retryable, honouring `Retry-After`; every other status final.
public struct HTTPStatusClassifier: Sendable {
    /// Removes credentials from response excerpts.
    public var redactor: Redactor

    /// Creates a classifier.
    public init(redactor: Redactor) {
        self.redactor = redactor
    }

    /// Classifies a response whose success needs no vendor-specific reading.
    /// - Parameters:
    ///   - externalID: the id read from a successful response, if any.
    ///   - vendorRetryHint: a retry delay from the body (DevRev's `retry_after`), used when no header is present.
    public func classify(
        _ response: HTTPResponse,
        externalID: String? = nil,
        vendorRetryHint: RetryHint? = nil
    ) -> TargetOutcome {
        let status = response.status
        if (200..<300).contains(status) {
            return .success(externalID: externalID, httpStatus: status)
        }
        let hint = response.header("Retry-After").flatMap(RetryHint.init(retryAfterHeader:)) ?? vendorRetryHint
        let excerpt = redactor.redact(String(decoding: response.body.prefix(4096), as: UTF8.self))
        func failure(_ code: TargetFailure.Code, _ message: String) -> TargetFailure {
            TargetFailure(code, message, httpStatus: status, responseExcerpt: excerpt.isEmpty ? nil : excerpt)
        }
        switch status {
        case 401:
            return .authFailure(failure(.unauthorized, "the API refused the credentials"))
        case 429:
            return .retryable(failure(.throttled, "the API's rate limit was hit"), retryAfter: hint)
        case 408, 500, 502...599:
            return .retryable(failure(.unavailable, "the API is unavailable"), retryAfter: hint)
        case 403:
            return .permanent(failure(.forbidden, "the credentials lack a permission"))
        case 404:
            return .permanent(failure(.notFound, "the API does not know the resource"))
        default:
            return .permanent(failure(.rejected, "the API refused the request"))
        }
    }

    /// Classifies a transport failure: retryable unless it cannot get better by waiting.
    public func classify(_ error: HTTPTransportError) -> TargetOutcome {
        let failure = TargetFailure(
            .transport,
            "\(error.code): \(redactor.redact(error.message))",
            notSent: error.code == .connect
        )
        return error.isRetriable ? .retryable(failure, retryAfter: nil) : .permanent(failure)
    }
}
