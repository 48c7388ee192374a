public import Normalizer

/// An Infraon incident as its GET answers it, in either shape: the flat incident document of Infraon's API guide,
/// or the `{"incident": {…}, "options": {…}}` wrapper Fortinet's connector reads from real tenants. The shape and
/// each field's value form (a flat name with its `_id`, or an `{id, name}` option) are read from the answer, and the
/// document is written back the same way. Pure.
public struct InfraonIncident: Sendable {
    /// The incident document, everything the GET returned; a whole-document PUT sends all of it back, so fields
    /// people set are kept.
    public var document: JSONObject
    /// The tenant's options (`status`, `priority`, …) when the answer carried them.
    public let options: JSONObject?

    /// Reads a GET answer.
    /// - Returns: `nil` when the answer is neither shape.
    public init?(answer: JSONValue?) {
        if let wrapped = answer?["incident"]?.object {
            document = wrapped
            options = answer?["options"]?.object ?? JSONObject()
        } else if let flat = answer?.object, flat["incident_id"] != nil || flat["basic_info"] != nil {
            document = flat
            options = nil
        } else {
            return nil
        }
    }

    /// Whether the answer was the connector's wrapper.
    public var isWrapped: Bool { options != nil }

    /// The document with the event's title, description (ingestor's part; what follows the marker line is kept) and
    /// levels; for a wrapped incident whose priority changes, with the "Priority Change" comment real tenants
    /// require (Fortinet's connector).
    public func updated(
        with event: NormalizedEvent,
        dedupKey: String,
        levels: InfraonConfiguration.Levels
    ) -> JSONObject {
        var incident = document
        var info = incident["basic_info"]?.object ?? JSONObject()
        info["summary"] = .string(event.title)
        info["description"] = .string(
            DescriptionSections.replacingOwned(
                in: info["description"]?.string ?? "",
                with: IncidentText.body(event),
                dedupKey: dedupKey
            )
        )
        let oldPriority = info["priority_id"]?.int64 ?? info["priority"]?["id"]?.int64
        for (field, option) in [("priority", levels.priority), ("urgency", levels.urgency), ("impact", levels.impact)] {
            set(field, option, in: &info)
        }
        if isWrapped, let oldPriority, oldPriority != Int64(levels.priority.id) {
            incident["temp_priority"] = Self.object(levels.priority)
            incident["comment"] = .object(
                JSONObject([
                    ("description", .string("Severity changed to \(event.severity.rawValue) at the source.")),
                    ("type", .string("Priority Change")), ("is_private", .bool(false)),
                ])
            )
        }
        incident["basic_info"] = .object(info)
        return incident
    }

    /// The document with its status set to the option named `name`.
    /// - Parameters:
    ///   - configuredID: the option's id from configuration, for flat incidents (which carry no options).
    ///   - key: the configuration key of that id, named when it is missing.
    /// - Throws: ``TargetFailure/Code/rejected`` when the tenant has no such option, or the id is unknown.
    public func settingStatus(
        _ name: String,
        configuredID: Int?,
        key: String
    ) throws(TargetFailure) -> JSONObject {
        let option: InfraonConfiguration.Option
        if let options {
            let found = options["status"]?.array?.first { $0["name"]?.string == name }
            guard let found, let id = found["id"]?.int64 else {
                throw TargetFailure(.rejected, "the incident offers no status option named \(name)")
            }
            option = InfraonConfiguration.Option(Int(id), name)
        } else {
            guard let configuredID else {
                throw TargetFailure(
                    .unsupported,
                    "Infraon answered a flat incident without options: set \(key) to the id of status \(name)"
                )
            }
            option = InfraonConfiguration.Option(configuredID, name)
        }
        var incident = document
        var info = incident["basic_info"]?.object ?? JSONObject()
        set("status", option, in: &info)
        incident["basic_info"] = .object(info)
        return incident
    }

    /// Writes `option` in the form the field already has: `{id, name}`, or the name with its id in `<field>_id`.
    private func set(_ field: String, _ option: InfraonConfiguration.Option, in info: inout JSONObject) {
        let asObject = info[field]?.object != nil || (isWrapped && info[field] == nil)
        if asObject {
            info[field] = Self.object(option)
        } else {
            info[field] = .string(option.name)
            info["\(field)_id"] = .number(String(option.id))
        }
    }

    static func object(_ option: InfraonConfiguration.Option) -> JSONValue {
        .object(JSONObject([("id", .number(String(option.id))), ("name", .string(option.name))]))
    }
}
