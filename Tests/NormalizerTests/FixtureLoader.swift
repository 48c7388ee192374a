import Foundation

/// Reads a fixture file from the test bundle.
func fixture(_ path: String) throws -> [UInt8] {
    guard let url = Bundle.module.url(forResource: "Fixtures/\(path)", withExtension: nil) else {
        throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: path])
    }
    return Array(try Data(contentsOf: url))
}
