import Normalizer

/// Reads the generic target's answers: the shared HTTP semantics, and the new incident's id at the operation's
/// `id_pointer`. Pure.
enum GenericHTTPResponseClassifier {
    /// Success needs the id for creates, read at the operation's pointer.
    static func classify(
        _ response: HTTPResponse,
        action: IncidentCommand.Action,
        pointer: JSONPointer?,
        classifier: HTTPStatusClassifier
    ) -> TargetOutcome {
        guard (200..<300).contains(response.status) else { return classifier.classify(response) }
        let id = pointer.flatMap { pointer in
            (try? JSONParser().parse(response.body)).flatMap { pointer.resolve(in: $0)?.scalarText }
        }
        if action == .create && (id ?? "").isEmpty {
            return .permanent(
                TargetFailure(
                    .invalidResponse,
                    "the create answer has no id at \(pointer?.description ?? "(no id_pointer configured)")",
                    httpStatus: response.status,
                    responseExcerpt: classifier.redactor.redact(
                        String(decoding: response.body.prefix(512), as: UTF8.self)
                    )
                )
            )
        }
        return .success(externalID: id, httpStatus: response.status)
    }
}
