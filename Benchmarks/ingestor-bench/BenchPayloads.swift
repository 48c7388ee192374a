import Foundation

/// The payloads the normalize scenarios decode, shaped like what the sources really send.
enum BenchPayloads {
    /// An Alertmanager webhook v4 group of five firing alerts (about 1.3 KB).
    static let alertmanagerGroup: [UInt8] = {
        let alerts = (0..<5).map {
            #"{"status":"firing","labels":{"alertname":"HighCPU","instance":"web-\#($0):9100","job":"node","severity":"warning"},"annotations":{"summary":"HighCPU on web-\#($0)","description":"CPU above 90% for 5 minutes"},"startsAt":"2026-11-24T08:00:00.123456789Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prometheus:9090/graph?g0.expr=cpu","fingerprint":"00000000000000a\#($0)"}"#
        }
        return Array(
            #"{"version":"4","groupKey":"{}:{alertname=\"HighCPU\"}","truncatedAlerts":0,"status":"firing","receiver":"ops","groupLabels":{"alertname":"HighCPU"},"commonLabels":{"alertname":"HighCPU","job":"node"},"commonAnnotations":{},"externalURL":"http://alertmanager:9093","alerts":[\#(alerts.joined(separator: ","))]}"#
                .utf8
        )
    }()

    /// An SNS Notification whose Message is a CloudWatch alarm as a JSON string (about 2 KB): two JSON parses.
    static let cloudWatchViaSNS: [UInt8] = {
        let alarm =
            #"{"AlarmName":"api-5xx-rate","AlarmDescription":"5xx above 1%","AWSAccountId":"123456789012","AlarmConfigurationUpdatedTimestamp":"2026-11-20T10:00:00.000+0000","NewStateValue":"ALARM","NewStateReason":"Threshold Crossed: 1 datapoint [2.5 (24/11/26 09:55:00)] was greater than the threshold (1.0).","StateChangeTime":"2026-11-24T09:56:12.345+0000","Region":"EU (Ireland)","AlarmArn":"arn:aws:cloudwatch:eu-west-1:123456789012:alarm:api-5xx-rate","OldStateValue":"OK","OKActions":[],"AlarmActions":["arn:aws:sns:eu-west-1:123456789012:ops-alarms"],"InsufficientDataActions":[],"Trigger":{"MetricName":"5XXError","Namespace":"AWS/ApiGateway","StatisticType":"Statistic","Statistic":"AVERAGE","Unit":null,"Dimensions":[{"value":"orders-api","name":"ApiName"}],"Period":60,"EvaluationPeriods":1,"ComparisonOperator":"GreaterThanThreshold","Threshold":1.0,"TreatMissingData":"missing","EvaluateLowSampleCountPercentile":""}}"#
        let escaped = alarm.replacingOccurrences(of: "\"", with: "\\\"")
        return Array(
            #"{"Type":"Notification","MessageId":"0b5c3f8e-1a2b-5c4d-9e8f-7a6b5c4d3e2f","TopicArn":"arn:aws:sns:eu-west-1:123456789012:ops-alarms","Subject":"ALARM: \"api-5xx-rate\" in EU (Ireland)","Message":"\#(escaped)","Timestamp":"2026-11-24T09:56:12.400Z","SignatureVersion":"1","Signature":"EXAMPLEpH+DcEwjAPg8O9mY8dReBSwksfg2S7WKQcikcNKWLQjwu6A4VbeS0QHVCkhRS7fUQvi2egU3N858fiTDN6bkkOxYDVrY0Ad8L10Hs3zH81mtnPk5uvvolIC1CXGu43obcgFxeL3khZl8IKvO61GWB6jI9b5+gLPoBc1Q=","SigningCertURL":"https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0000000000000000000000.pem","UnsubscribeURL":"https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:eu-west-1:123456789012:ops-alarms:abc"}"#
                .utf8
        )
    }()

    /// A Nagios service alert mail of about 20 KB: multipart/mixed holding multipart/alternative (a quoted-printable
    /// text part with a long performance-data table, and the same in HTML) and a base64 CSV attachment.
    static let multipartEmail: [UInt8] = {
        var table = ""
        for row in 0..<90 {
            table += "check_http_\(row) latency=\(row * 7 % 500)ms;300;500 size=\(row * 131)B status=Ünknown→OK\n"
        }
        let text =
            "***** Nagios *****\n\nNotification Type: PROBLEM\n\nService: HTTP\nHost: web-01\nAddress: 10.0.0.1\n"
            + "State: CRITICAL\n\nDate/Time: Mon Nov 24 08:15:03 UTC 2026\n\nAdditional Info:\n\n" + table
        let html =
            "<html><body><h1>Nagios</h1><table>"
            + table.split(separator: "\n").map { "<tr><td>\($0)</td></tr>" }.joined() + "</table></body></html>"
        let csv = String(repeating: "time,host,value\n2026-11-24T08:00:00Z,web-01,97.5\n", count: 60)
        let mail = """
            Return-Path: <nagios@mon.example.com>
            Received: from mon.example.com (mon.example.com [10.0.0.5]) by mx.example.com with ESMTP id 4Zk; Mon, 24 Nov 2026 08:15:04 +0000
            From: Nagios <nagios@mon.example.com>
            To: ops@example.com
            Subject: ** PROBLEM Service Alert: web-01/HTTP is CRITICAL **
            Date: Mon, 24 Nov 2026 08:15:03 +0000
            Message-ID: <20261124081503.1234@mon.example.com>
            MIME-Version: 1.0
            Content-Type: multipart/mixed; boundary="outer-0001"

            --outer-0001
            Content-Type: multipart/alternative; boundary="inner-0002"

            --inner-0002
            Content-Type: text/plain; charset=utf-8
            Content-Transfer-Encoding: quoted-printable

            \(quotedPrintable(text))
            --inner-0002
            Content-Type: text/html; charset=utf-8
            Content-Transfer-Encoding: quoted-printable

            \(quotedPrintable(html))
            --inner-0002--

            --outer-0001
            Content-Type: text/csv; name="perfdata.csv"
            Content-Disposition: attachment; filename="perfdata.csv"
            Content-Transfer-Encoding: base64

            \(Data(csv.utf8).base64EncodedString(options: [.lineLength76Characters, .endLineWithLineFeed]))
            --outer-0001--

            """
        return Array(mail.replacingOccurrences(of: "\n", with: "\r\n").utf8)
    }()

    /// Quoted-printable with soft breaks at 76 columns.
    static func quotedPrintable(_ text: String) -> String {
        var output = ""
        var column = 0
        for byte in text.utf8 {
            let piece: String
            if byte == 0x0A {
                output += "\n"
                column = 0
                continue
            } else if byte == 0x3D || byte >= 0x80 {
                piece = String(format: "=%02X", byte)
            } else {
                piece = String(UnicodeScalar(byte))
            }
            if column + piece.count > 75 {
                output += "=\n"
                column = 0
            }
            output += piece
            column += piece.count
        }
        return output
    }
}
