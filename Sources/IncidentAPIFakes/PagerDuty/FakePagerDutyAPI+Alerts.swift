import Normalizer

/// What an accepted event does to the alerts.
extension FakePagerDutyAPI {
    /// The open (triggered or acknowledged) alert with `dedupKey`.
    public func openAlert(_ dedupKey: String) -> FakeLedger.Incident? {
        ledger.incidents.last { $0.externalReference == dedupKey && !$0.isResolved }
    }

    func apply(_ body: JSONObject) -> FakeResponse {
        let action = body["event_action"]?.string ?? ""
        let key = body["dedup_key"]?.string ?? String(FNV1a.hash("\(ledger.requests.count)-alert"), radix: 16)
        let open = openAlert(key)
        switch (action, open) {
        case ("trigger", nil):
            var fields = body["payload"]?.object ?? JSONObject()
            fields["status"] = .string("triggered")
            _ = ledger.create(externalReference: key, fields: fields) { number in ("PA\(number)", "PA\(number)") }
        case ("trigger", let alert?):
            // Appended to the alert's log: the alert keeps its summary; the severity follows the newest trigger.
            _ = ledger.modify(alert.id) { alert in
                alert.calls.append("update")
                alert.fields["severity"] = body["payload"]?["severity"]
            }
        case ("acknowledge", let alert?):
            _ = ledger.modify(alert.id) { alert in
                alert.calls.append("acknowledge")
                alert.fields["status"] = .string("acknowledged")
            }
        case ("resolve", let alert?):
            _ = ledger.modify(alert.id) { alert in
                alert.calls.append("resolve")
                alert.fields["status"] = .string("resolved")
                alert.isResolved = true
            }
        default:
            break  // acknowledge or resolve with no open alert: accepted, and dropped.
        }
        return .json(
            202,
            .object(
                JSONObject([
                    ("status", .string("success")), ("message", .string("Event processed")),
                    ("dedup_key", .string(key)),
                ])
            )
        )
    }
}
