public import Normalizer

extension IncidentCommand {
    /// The incident id an update, resolve, comment or reopen acts on.
    /// - Throws: ``TargetFailure/Code/unsupported`` when the command carries none.
    public func incidentID() throws(TargetFailureOutcome) -> String {
        guard let id = externalID, !id.isEmpty else {
            throw .permanent(.unsupported, "\(action.rawValue) needs the incident id, and the command has none")
        }
        return id
    }
}

extension TargetOutcome {
    /// The same outcome with another failure description.
    public func replacingFailure(_ failure: TargetFailure) -> TargetOutcome {
        switch self {
        case .success: self
        case .retryable(_, let hint): .retryable(failure, retryAfter: hint)
        case .authFailure: .authFailure(failure)
        case .permanent: .permanent(failure)
        }
    }
}
