import CCurl
import Synchronization

/// One request in flight on the curl multi handle: owns its easy handle, header list and response buffers.
///
/// - Important: `@unchecked Sendable` because after `init` only the transport's loop thread touches the easy
///   handle and the buffers; other threads only set the atomic `cancelled` flag and never read the rest.
final class CurlTransfer: @unchecked Sendable {
    let easy: UnsafeMutableRawPointer
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
    private let maxResponseBytes: Int
    private var body: [UInt8] = []
    private var responseHeaders: [HTTPHeader] = []
    private var exceededLimit = false
    private var continuation: CheckedContinuation<HTTPResponse, any Error>?
    /// Set from any thread when the caller's task is cancelled; read by the loop.
    let cancelled = Atomic<Bool>(false)

    init(_ request: HTTPRequest) throws(HTTPTransportError) {
        guard let easy = curl_easy_init() else { throw HTTPTransportError(.invalidRequest, "curl_easy_init failed") }
        self.easy = easy
        self.maxResponseBytes = request.maxResponseBytes
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        try configure(request)
    }

    deinit {
        curl_easy_cleanup(easy)
        curl_slist_free_all(headerList)
        errorBuffer.deallocate()
    }

    private func check(_ code: CURLcode, _ what: String) throws(HTTPTransportError) {
        guard code == CURLE_OK else {
            throw HTTPTransportError(.invalidRequest, "\(what): \(String(cString: curl_easy_strerror(code)))")
        }
    }

    private func configure(_ request: HTTPRequest) throws(HTTPTransportError) {
        try check(ccurl_easy_setopt_string(easy, CURLOPT_URL, request.url), "URL")
        try check(ccurl_easy_setopt_long(easy, CURLOPT_PROTOCOLS, Int(CURLPROTO_HTTP | CURLPROTO_HTTPS)), "protocols")
        _ = ccurl_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        _ = ccurl_easy_setopt_long(easy, CURLOPT_SSL_VERIFYPEER, 1)
        _ = ccurl_easy_setopt_long(easy, CURLOPT_SSL_VERIFYHOST, 2)
        _ = ccurl_easy_setopt_long(easy, CURLOPT_FOLLOWLOCATION, 0)
        let timeout = max(1, request.timeout.wholeMilliseconds)
        _ = ccurl_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, timeout)
        _ = ccurl_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, min(timeout, 10_000))
        _ = ccurl_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer)
        let method = request.method.uppercased()
        switch method {
        case "GET": _ = ccurl_easy_setopt_long(easy, CURLOPT_HTTPGET, 1)
        case "HEAD": _ = ccurl_easy_setopt_long(easy, CURLOPT_NOBODY, 1)
        case "POST": _ = ccurl_easy_setopt_long(easy, CURLOPT_POST, 1)
        default: _ = ccurl_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, method)
        }
        if let body = request.body {
            _ = ccurl_easy_setopt_off_t(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
            // COPYPOSTFIELDS: libcurl keeps its own copy, so the array need not outlive this call.
            body.withUnsafeBytes { bytes in
                _ = ccurl_easy_setopt_pointer(
                    easy,
                    CURLOPT_COPYPOSTFIELDS,
                    UnsafeMutableRawPointer(mutating: bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!)
                )
            }
            if body.isEmpty { _ = ccurl_easy_setopt_off_t(easy, CURLOPT_POSTFIELDSIZE_LARGE, 0) }
        }
        // "Expect:" off: no 100-continue round trip for bodies over 1 KiB.
        for line in request.headers.map({ "\($0.name): \($0.value)" }) + ["Expect:"] {
            headerList = curl_slist_append(headerList, line)
        }
        _ = ccurl_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, headerList)
        let opaque = Unmanaged.passUnretained(self).toOpaque()
        _ = ccurl_easy_setopt_write_callback(easy, CURLOPT_WRITEFUNCTION, curlWriteCallback)
        _ = ccurl_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, opaque)
        _ = ccurl_easy_setopt_write_callback(easy, CURLOPT_HEADERFUNCTION, curlHeaderCallback)
        _ = ccurl_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, opaque)
    }

    /// Installs the continuation the loop completes.
    func attach(_ continuation: CheckedContinuation<HTTPResponse, any Error>) {
        self.continuation = continuation
    }

    /// Completes the caller with `result`; called once, on the loop thread.
    func finish(_ result: Result<HTTPResponse, HTTPTransportError>) {
        continuation?.resume(with: result.mapError { $0 as any Error })
        continuation = nil
    }

    /// Completes the caller from libcurl's result code.
    func finish(code: CURLcode) {
        guard code == CURLE_OK else {
            finish(.failure(transportError(code)))
            return
        }
        var status = 0
        _ = ccurl_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        finish(.success(HTTPResponse(status: status, headers: responseHeaders, body: body)))
    }

    private func transportError(_ code: CURLcode) -> HTTPTransportError {
        let detail = String(cString: errorBuffer)
        let message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
        switch code {
        case CURLE_OPERATION_TIMEDOUT: return HTTPTransportError(.timeout, message)
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return HTTPTransportError(.connect, message)
        case CURLE_WRITE_ERROR where exceededLimit:
            return HTTPTransportError(.responseTooLarge, "response body larger than \(maxResponseBytes) bytes")
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CONNECT_ERROR, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
            CURLE_SSL_CACERT_BADFILE:
            return HTTPTransportError(.tls, message)
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL:
            return HTTPTransportError(.invalidRequest, message)
        default: return HTTPTransportError(.io, message)
        }
    }

    fileprivate func append(_ bytes: UnsafeRawBufferPointer) -> Bool {
        if body.count + bytes.count > maxResponseBytes {
            exceededLimit = true
            return false
        }
        body.append(contentsOf: bytes)
        return true
    }

    fileprivate func appendHeaderLine(_ line: String) {
        if line.hasPrefix("HTTP/") {
            // A new status line (after 1xx or a proxy CONNECT): only the final response's headers count.
            responseHeaders.removeAll()
            return
        }
        guard let colon = line.firstIndex(of: ":") else { return }
        let name = String(line[..<colon])
        let value = String(line[line.index(after: colon)...]).trimmingCharacters(in: " \t\r\n")
        responseHeaders.append(HTTPHeader(name, value))
    }
}

private let curlWriteCallback: ccurl_write_callback = { data, size, count, opaque in
    guard let opaque else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(opaque).takeUnretainedValue()
    let length = size * count
    guard length > 0, let data else { return 0 }
    return transfer.append(UnsafeRawBufferPointer(start: data, count: length)) ? length : 0
}

private let curlHeaderCallback: ccurl_write_callback = { data, size, count, opaque in
    guard let opaque, let data else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(opaque).takeUnretainedValue()
    let length = size * count
    let line = String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)
    transfer.appendHeaderLine(line)
    return length
}

extension String {
    fileprivate func trimmingCharacters(in set: String) -> String {
        let drop: (Character) -> Bool = { set.contains($0) }
        guard let start = firstIndex(where: { !drop($0) }) else { return "" }
        let end = lastIndex(where: { !drop($0) })!
        return String(self[start...end])
    }
}

extension Duration {
    /// Whole milliseconds, rounded down.
    var wholeMilliseconds: Int {
        let (seconds, attoseconds) = components
        return Int(seconds * 1000 + attoseconds / 1_000_000_000_000_000)
    }
}
