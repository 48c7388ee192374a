/// Which part of the job one `ingestor run` process does.
public enum IngestorStage: String, Sendable, CaseIterable {
    /// The whole job in one process: raw topics in, incidents out, the state in one file this process holds (one
    /// worker per state file).
    case all
    /// The normalize stage: raw topics in, normalized events out to `kafka.events_topic`.
    case normalize
    /// The delivery stage: the events topic in, incidents out, the state owned by events partition and kept in the
    /// changelog topic, so any number of workers share the job.
    case deliver
}
