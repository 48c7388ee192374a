/// Which part of the job one `ingestor run` process does.
public enum IngestorStage: String, Sendable, CaseIterable {
    /// The whole job in one process: raw topics in, incidents out (the delivery side in-process).
    case all
    /// The normalize stage alone: raw topics in, normalized events out to `kafka.events_topic`.
    case normalize
}
