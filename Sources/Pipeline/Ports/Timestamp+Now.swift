import Foundation
import Normalizer

extension Timestamp {
    /// The current wall-clock time. Only ``SystemPipelineClock`` reads it; everything else takes a clock.
    static var now: Timestamp {
        Timestamp(millisecondsSinceEpoch: Int64((Date().timeIntervalSince1970 * 1000).rounded()))
    }
}
