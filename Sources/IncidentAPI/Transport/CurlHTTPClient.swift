import CCurl
import Foundation
public import Logging
import Synchronization

/// The HTTP client over libcurl: one multi handle driven by a dedicated thread (`curl_multi_poll`), which reuses
/// connections across requests and completes each caller's continuation.
///
/// Every request carries its own deadline and response size limit; TLS peers are verified; proxies come from the
/// standard environment variables (`https_proxy`, `http_proxy`, `no_proxy`), which libcurl reads itself.
public final class CurlHTTPClient: HTTPClient {
    private let loop: CurlLoop

    /// Creates a client and starts its transfer thread.
    /// - Parameter maxConnectionsPerHost: concurrent connections to one host; more requests queue; default 16.
    public init(maxConnectionsPerHost: Int = 16, logger: Logger) {
        loop = CurlLoop(maxConnectionsPerHost: maxConnectionsPerHost, logger: logger)
        let loop = loop
        let thread = Thread { loop.run() }
        thread.name = "ingestor.http"
        thread.start()
    }

    deinit {
        loop.stop()
    }

    /// Stops the transfer thread; requests in flight fail with ``HTTPTransportError/Code/shutdown``.
    public func shutdown() {
        loop.stop()
    }

    public func execute(_ request: HTTPRequest) async throws -> HTTPResponse {
        let transfer = try CurlTransfer(request)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                transfer.attach(continuation)
                loop.submit(transfer)
            }
        } onCancel: {
            transfer.cancelled.store(true, ordering: .relaxed)
            loop.wake()
        }
    }
}

/// The loop that owns the curl multi handle.
///
/// - Important: `@unchecked Sendable` because the multi handle and the table of active transfers are used only on
///   the loop thread; other threads reach the loop only through the mutex-protected inbox and
///   `curl_multi_wakeup`, which libcurl documents as callable from any thread.
final class CurlLoop: @unchecked Sendable {
    private struct Inbox {
        var submitted: [CurlTransfer] = []
        var stopping = false
    }

    private let multi: UnsafeMutableRawPointer
    private let inbox = Mutex(Inbox())
    private let logger: Logger
    private var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]

    init(maxConnectionsPerHost: Int, logger: Logger) {
        curl_global_init(Int(CURL_GLOBAL_DEFAULT))
        multi = curl_multi_init()
        self.logger = logger
        _ = ccurl_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, maxConnectionsPerHost)
        _ = ccurl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, maxConnectionsPerHost * 4)
    }

    func submit(_ transfer: CurlTransfer) {
        let refused = inbox.withLock { inbox in
            if inbox.stopping { return true }
            inbox.submitted.append(transfer)
            return false
        }
        if refused {
            transfer.finish(.failure(HTTPTransportError(.shutdown, "the HTTP client is shut down")))
        } else {
            wake()
        }
    }

    func wake() {
        _ = curl_multi_wakeup(multi)
    }

    func stop() {
        inbox.withLock { $0.stopping = true }
        wake()
    }

    /// The transfer loop; returns after `stop()`.
    func run() {
        while true {
            let (submitted, stopping) = inbox.withLock { inbox in
                defer { inbox.submitted.removeAll() }
                return (inbox.submitted, inbox.stopping)
            }
            for transfer in submitted {
                if stopping {
                    transfer.finish(.failure(HTTPTransportError(.shutdown, "the HTTP client is shut down")))
                    continue
                }
                let code = curl_multi_add_handle(multi, transfer.easy)
                if code == CURLM_OK {
                    active[transfer.easy] = transfer
                } else {
                    transfer.finish(
                        .failure(HTTPTransportError(.invalidRequest, String(cString: curl_multi_strerror(code))))
                    )
                }
            }
            for (easy, transfer) in active where stopping || transfer.cancelled.load(ordering: .relaxed) {
                curl_multi_remove_handle(multi, easy)
                active[easy] = nil
                transfer.finish(
                    .failure(
                        stopping
                            ? HTTPTransportError(.shutdown, "the HTTP client is shut down")
                            : HTTPTransportError(.cancelled, "cancelled")
                    )
                )
            }
            if stopping { break }
            var running: Int32 = 0
            _ = curl_multi_perform(multi, &running)
            var remaining: Int32 = 0
            while let message = curl_multi_info_read(multi, &remaining) {
                guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
                let result = message.pointee.data.result
                curl_multi_remove_handle(multi, easy)
                if let transfer = active.removeValue(forKey: easy) {
                    transfer.finish(code: result)
                }
            }
            _ = curl_multi_poll(multi, nil, 0, 1000, nil)
        }
        curl_multi_cleanup(multi)
        logger.debug("HTTP transfer loop stopped")
    }
}

extension CurlHTTPClient {
    /// The libcurl the process loaded, e.g. `7.88.1`.
    public static var libcurlVersion: String {
        // curl_version() reads "libcurl/7.88.1 OpenSSL/3.0.15 …"; the first word names libcurl.
        let full = String(cString: curl_version())
        let first = full.split(separator: " ").first.map(String.init) ?? full
        return first.hasPrefix("libcurl/") ? String(first.dropFirst("libcurl/".count)) : first
    }
}
