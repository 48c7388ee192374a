import ArgumentParser
import IncidentAPI
import IngestorKit
import KafkaIO

enum IngestorVersionText {
    static var text: String {
        "ingestor \(IngestorVersion.current) (librdkafka \(LibrdkafkaVersion.runtime), minimum \(LibrdkafkaVersion.minimum); libcurl \(CurlHTTPClient.libcurlVersion))"
    }
}

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract: "Prints the versions of ingestor, librdkafka and libcurl.",
        discussion: "The worker refuses to start on a librdkafka older than the minimum shown."
    )

    func run() throws {
        Console.out("ingestor \(IngestorVersion.current)")
        let runtime = LibrdkafkaVersion.runtime
        Console.out(
            "librdkafka \(runtime) (minimum \(LibrdkafkaVersion.minimum)\(runtime < LibrdkafkaVersion.minimum ? ", TOO OLD" : ""))"
        )
        Console.out("libcurl \(CurlHTTPClient.libcurlVersion)")
    }
}
