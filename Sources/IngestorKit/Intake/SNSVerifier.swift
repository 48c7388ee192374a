import Crypto
import Foundation
import IncidentAPI
import Normalizer
import SwiftASN1
import Synchronization
import X509
import _CryptoExtras

/// Checks AWS SNS message signatures: the string to sign built from the message's fields in SNS's order, the
/// signing certificate fetched (HTTPS from SNS's own hosts, by default) and cached, SHA1withRSA (`SignatureVersion`
/// 1) or SHA256withRSA (2).
final class SNSVerifier: Sendable {
    /// Why a message was refused.
    struct Failure: Error, CustomStringConvertible {
        var description: String
        /// The message may be fine, but cannot be checked now (its certificate could not be fetched): worth a retry.
        var isTemporary = false
    }

    private let client: any HTTPClient
    private let certificates = Mutex<[String: _RSA.Signing.PublicKey]>([:])

    init(client: any HTTPClient) {
        self.client = client
    }

    /// The fields an SNS message signs, in order, for its `Type`; `nil` for an unknown type.
    static func signedFields(type: String, hasSubject: Bool) -> [String]? {
        switch type {
        case "Notification":
            ["Message", "MessageId"] + (hasSubject ? ["Subject"] : []) + ["Timestamp", "TopicArn", "Type"]
        case "SubscriptionConfirmation", "UnsubscribeConfirmation":
            ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
        default: nil
        }
    }

    /// The bytes SNS signed: each field's name and value, each followed by a newline.
    static func stringToSign(_ message: JSONObject) throws(Failure) -> [UInt8] {
        guard let type = message["Type"]?.string,
            let fields = signedFields(type: type, hasSubject: message["Subject"]?.string != nil)
        else { throw Failure(description: "unknown SNS message type") }
        var text = ""
        for field in fields {
            guard let value = message[field]?.string else {
                throw Failure(description: "the SNS message has no \(field)")
            }
            text += field + "\n" + value + "\n"
        }
        return Array(text.utf8)
    }

    /// Verifies `message`'s signature; throws what is wrong.
    func verify(_ message: JSONObject, trustedURLPattern: String, now: Date = Date()) async throws(Failure) {
        let signed = try Self.stringToSign(message)
        guard let certificateURL = message["SigningCertURL"]?.string ?? message["SigningCertUrl"]?.string else {
            throw Failure(description: "the SNS message has no SigningCertURL")
        }
        try Self.checkTrusted(certificateURL, pattern: trustedURLPattern, what: "SigningCertURL")
        guard let signatureText = message["Signature"]?.string,
            let signatureBytes = Data(base64Encoded: signatureText)
        else { throw Failure(description: "the SNS message has no valid base64 Signature") }
        let key = try await publicKey(at: certificateURL, now: now)
        let signature = _RSA.Signing.RSASignature(rawRepresentation: signatureBytes)
        let valid: Bool
        switch message["SignatureVersion"]?.string ?? "1" {
        case "1":
            valid = key.isValidSignature(signature, for: Insecure.SHA1.hash(data: signed), padding: .insecurePKCS1v1_5)
        case "2":
            valid = key.isValidSignature(signature, for: SHA256.hash(data: signed), padding: .insecurePKCS1v1_5)
        case let other:
            throw Failure(description: "unknown SignatureVersion \(other)")
        }
        guard valid else { throw Failure(description: "the SNS signature does not match the message") }
    }

    /// Refuses a URL the configuration does not trust (SNS's own HTTPS hosts by default).
    static func checkTrusted(_ url: String, pattern: String, what: String) throws(Failure) {
        guard let regex = try? Regex(pattern), (try? regex.firstMatch(in: url)) != nil else {
            throw Failure(description: "\(what) \(url) is not a trusted SNS address (sns.trusted_url_pattern)")
        }
    }

    /// The RSA key of the certificate at `url`, fetched once.
    private func publicKey(at url: String, now: Date) async throws(Failure) -> _RSA.Signing.PublicKey {
        if let cached = certificates.withLock({ $0[url] }) { return cached }
        let response: HTTPResponse
        do {
            response = try await client.execute(HTTPRequest(method: "GET", url: url, maxResponseBytes: 64 * 1024))
        } catch {
            throw Failure(description: "cannot fetch the signing certificate \(url): \(error)", isTemporary: true)
        }
        // Any answer but the certificate is the fetch failing, not the message: a host that matched the trusted
        // pattern answering 404 or 5xx is SNS (or its network) having a bad moment, and SNS retries on a 5xx.
        guard response.status == 200 else {
            throw Failure(
                description: "fetching the signing certificate \(url) answered \(response.status)",
                isTemporary: true
            )
        }
        let key: _RSA.Signing.PublicKey
        do {
            let certificate = try Certificate(pemEncoded: String(decoding: response.body, as: UTF8.self))
            guard certificate.notValidBefore <= now, now <= certificate.notValidAfter else {
                throw Failure(description: "the signing certificate \(url) is not valid now")
            }
            guard let rsa = _RSA.Signing.PublicKey(certificate.publicKey) else {
                throw Failure(description: "the signing certificate \(url) has no RSA key")
            }
            key = rsa
        } catch let failure as Failure {
            throw failure
        } catch {
            throw Failure(description: "the signing certificate \(url) cannot be read: \(error)")
        }
        certificates.withLock { $0[url] = key }
        return key
    }
}
