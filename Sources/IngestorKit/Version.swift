/// The worker's version, written into dead letters and printed by `ingestor version`.
public enum IngestorVersion {
    /// The release version.
    public static let current = "0.1.0"
}
