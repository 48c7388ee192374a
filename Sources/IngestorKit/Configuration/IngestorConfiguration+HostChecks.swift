import Foundation

extension IngestorConfiguration {
    /// What is wrong with `state.path` on this machine, as a rule for the key: it must be in an existing directory
    /// this process can write, because the worker creates the file, its write-ahead log and its lock file
    /// (`<path>.lock`) there.
    /// - Returns: `nil` when the directory is usable (or the state lives in memory).
    static func stateDirectoryProblem(_ path: String) -> String? {
        guard path != ":memory:", !path.isEmpty else { return nil }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            return "is in a directory that does not exist: \(directory)"
        }
        if !isDirectory.boolValue { return "is in \(directory), which is not a directory" }
        if !FileManager.default.isWritableFile(atPath: directory) {
            return
                "is in \(directory), which this process cannot write (the file, its write-ahead log and its lock file are created there)"
        }
        return nil
    }
}
