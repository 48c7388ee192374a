/// How CloudWatch alarm states become statuses: ALARM fires, OK resolves, and
/// INSUFFICIENT_DATA is neither.
enum CloudWatchState {
    /// The event status for a transition, or `nil` when the transition needs no event; the flag says whether the
    /// event may open an incident.
    static func status(new: String, old: String?) -> (AlertStatus, opensIncident: Bool)? {
        switch (new.uppercased(), old?.uppercased()) {
        case ("ALARM", _): return (.firing, true)
        case ("OK", _): return (.resolved, true)
        // ALARM → INSUFFICIENT_DATA updates an open incident without resolving it, and opens none.
        case ("INSUFFICIENT_DATA", "ALARM"): return (.firing, false)
        default: return nil
        }
    }

    /// The region code inside an alarm ARN (`arn:aws:cloudwatch:<region>:<account>:alarm:<name>`); names may
    /// contain `:`, so split at most six times.
    static func region(fromARN arn: String) -> String? {
        let parts = arn.split(separator: ":", maxSplits: 6, omittingEmptySubsequences: false)
        return parts.count >= 4 && !parts[3].isEmpty ? String(parts[3]) : nil
    }
}
