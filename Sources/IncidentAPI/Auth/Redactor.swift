/// Removes credentials from text that may reach logs, errors or dead-letter headers (response excerpts).
///
/// It replaces every known secret value, `Bearer`/`Basic`/`token` authorization values, and the values of
/// JSON or form fields whose names suggest credentials.
public struct Redactor: Sendable {
    /// The replacement text.
    public static let mask = "[REDACTED]"
    private let secrets: [String]

    /// Creates a redactor that also removes these exact values.
    public init(secrets: [Secret] = []) {
        self.secrets = secrets.map(\.exposedValue).filter { $0.count >= 4 }
    }

    /// A redactor that also removes `more` secrets.
    public func adding(_ more: [Secret]) -> Redactor {
        Redactor(secrets: (secrets.map(Secret.init) + more))
    }

    /// `text` without credentials, cut to at most `limit` characters.
    public func redact(_ text: String, limit: Int = 512) -> String {
        var result = text
        for secret in secrets {
            result = result.replacing(secret, with: Self.mask)
        }
        result = result.replacing(
            #/(?i)\b(bearer|basic|token|apikey)\s+[A-Za-z0-9._~+/=:-]{6,}/#,
            with: { "\($0.output.1) \(Self.mask)" }
        )
        result = result.replacing(
            #/(?i)("?(?:access_token|refresh_token|id_token|token|password|passwd|secret|client_secret|api_key|apikey|authorization)"?\s*[:=]\s*"?)([^"&,}\s]+)/#,
            with: { "\($0.output.1)\(Self.mask)" }
        )
        if result.count > limit {
            result = String(result.prefix(limit)) + "…"
        }
        return result
    }
}
