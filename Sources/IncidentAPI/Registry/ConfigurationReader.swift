/// How an adapter reads its `target.<kind>` section of the configuration file: typed values with defaults,
/// problems recorded with their full key path (all of them, not the first), and keys nobody read reported as
/// typos by ``finish()``. The configuration loader provides it; adapters only read through it.
package protocol ConfigurationReader: AnyObject {
    /// Whether the section is in the document.
    var isPresent: Bool { get }
    /// The full key path of `name` in this section, e.g. `target.infraon.base_url`.
    func key(_ name: String) -> String
    /// Records a problem with the key `name`: the value as written (never a secret) and the rule it broke.
    func problem(_ name: String, _ value: String?, _ rule: String)
    /// The nested map `name`.
    func nested(_ name: String) -> any ConfigurationReader
    /// A scalar value.
    func string(_ name: String) -> String?
    /// A scalar value without marking the key read (for values another reader checks).
    func peekString(_ name: String) -> String?
    /// A scalar value that must be present and non-empty; `hint` says what it is.
    func requiredString(_ name: String, hint: String) -> String?
    /// A whole number within `range`.
    func int(_ name: String, default fallback: Int, in range: ClosedRange<Int>) -> Int
    /// A number within `range`.
    func double(_ name: String, default fallback: Double, in range: ClosedRange<Double>) -> Double
    /// A duration written with its unit (`500ms`, `30s`, `5m`), within `range`.
    func duration(_ name: String, default fallback: Duration, in range: ClosedRange<Duration>?) -> Duration
    /// A boolean.
    func bool(_ name: String, default fallback: Bool) -> Bool
    /// One of `allowed`, lower-cased.
    func choice(_ name: String, default fallback: String, from allowed: [String]) -> String
    /// A list of strings (a YAML list, or one comma-separated value).
    func stringList(_ name: String) -> [String]?
    /// A map of string values.
    func stringMap(_ name: String) -> [String: String]
    /// A secret, written `{env: NAME}` or `{file: PATH}` (never in clear text).
    func secret(_ name: String) -> Secret?
    /// Reports keys of this section that nothing read.
    func finish()
}
