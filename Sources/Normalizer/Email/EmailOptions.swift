/// How a route reads email.
public struct EmailOptions: Sendable, Hashable {
    /// Subject/body patterns that recognise monitoring tools' mail, tried in order; the defaults cover Nagios,
    /// Icinga 2, Checkmk, Zabbix, Monit, Alertmanager and CloudWatch mail, then a keyword catch-all.
    public var patterns: [EmailPattern] = EmailPattern.defaults
    /// A regex with a named group `key`, searched in the subject then the body, whose match becomes the dedup key;
    /// `nil` (default) uses the tool identity or the thread.
    public var dedupPattern: String?
    /// The charset for 8-bit text that is neither labelled nor valid UTF-8; default `windows-1252`.
    public var fallbackCharset = "windows-1252"
    /// Senders (addresses or `@domain` suffixes) allowed to send `Auto-Submitted: auto-generated` mail; empty
    /// (default) allows any sender.
    public var automaticSenders: [String] = []
    /// Accept mailing-list and bulk mail (`List-Id`, `Precedence: bulk`); default no.
    public var acceptLists = false
    /// Subject prefixes of automatic replies, matched case-insensitively.
    public var autoReplySubjects = [
        "auto:", "automatic reply", "auto reply", "autoreply", "auto-reply", "auto response", "autoresponse",
        "autorespons", "out of office", "out of the office", "abwesenheitsnotiz", "automatische antwort",
        "réponse automatique", "respuesta automática", "risposta automatica", "resposta automática",
        "automatisch antwoord", "autosvar", "automaattinen vastaus", "odpowiedź automatyczna", "automatická odpověď",
        "автоматический ответ", "自动回复", "自動回覆", "自動応答", "자동 회신",
    ]

    /// The defaults.
    public init() {}
}

/// One way a tool's mail says what happened.
///
/// `subject` is matched against the whole decoded subject. Named groups: `type` (the word that decides the status,
/// looked up in `statusWords`), `state` (a state such as CRITICAL or OK, used for severity), `host`, `service`, `id`
/// and `title`. `body` regexes are searched in the body for more groups (an `id` line).
///
/// The status: a `type` word found in `statusWords`; a `type` word not found there marks informational mail
/// (flapping, downtime, …), which gives no event. Without `type`: `fixedStatus`, else the `state` word looked up
/// in `statusWords`, else firing. A `state` in `resolvingStates` resolves whatever the `type` says (a PROBLEM
/// notification whose state is OK), unless the mail is informational.
public struct EmailPattern: Sendable, Hashable {
    /// The tool's name, used in the dedup key and the `email_tool` label.
    public var name: String
    /// A regex for the whole subject.
    public var subject: String
    /// Regexes searched in the body for more named groups (the first match of each; groups already found in the
    /// subject win).
    public var body: [String]
    /// Status per word (lower-case), matched as substrings in order.
    public var statusWords: [StatusWord]
    /// A status the match implies by itself, whatever its words.
    public var fixedStatus: AlertStatus?
    /// The groups that identify the problem, joined into the dedup key.
    public var identity: [String]
    /// Body lines `Label: VALUE` whose value's first word becomes a group (`["Notification Type": "type"]`), read
    /// from the body's first 40 lines: the labelled lines tools write, found without a regex.
    public var bodyFields: [String: String] = [:]
    /// Groups whose value from the body wins over the subject's (the body's `Notification Type:` and `State:` lines
    /// when a template's subject says otherwise); by default the subject's win.
    public var bodyWins: [String] = []
    /// State words (lower-case) that mean the problem is over, whatever the type word says; e.g. `ok`, `up`.
    public var resolvingStates: [String] = []

    /// A word and the status it means.
    public struct StatusWord: Sendable, Hashable {
        /// The word, lower-case.
        public var word: String
        /// The status.
        public var status: AlertStatus

        /// Creates a mapping.
        public init(_ word: String, _ status: AlertStatus) {
            self.word = word
            self.status = status
        }
    }

    /// Creates a pattern.
    public init(
        name: String,
        subject: String,
        body: [String] = [],
        bodyFields: [String: String] = [:],
        statusWords: [StatusWord] = [],
        fixedStatus: AlertStatus? = nil,
        identity: [String],
        bodyWins: [String] = [],
        resolvingStates: [String] = []
    ) {
        self.name = name
        self.subject = subject
        self.body = body
        self.bodyFields = bodyFields
        self.statusWords = statusWords
        self.fixedStatus = fixedStatus
        self.identity = identity
        self.bodyWins = bodyWins
        self.resolvingStates = resolvingStates
    }

    /// The labelled lines of Nagios's (and Icinga 1's) default notification mail, whose type and state win over a
    /// subject that says otherwise.
    static let nagiosFields = [
        "Notification Type": "type", "State": "state", "Service State": "state", "Host State": "state",
    ]
    /// Icinga 2's notification scripts write the state in a sentence (`<service> on <host> is OK!`, `<host> is UP!`).
    static let icingaBody = [#"(?m)^\S.* is (?<state>[A-Z]+)!\s*$"#]

    static let notificationTypes = [
        StatusWord("acknowledgement", .acknowledged), StatusWord("problem", .firing), StatusWord("recovery", .resolved),
    ]
    static let targetStates = [
        StatusWord("ok", .resolved), StatusWord("up", .resolved), StatusWord("crit", .firing),
        StatusWord("warn", .firing),
        StatusWord("unkn", .firing), StatusWord("down", .firing), StatusWord("unreach", .firing),
    ]

    /// The default patterns: the default mail templates of Nagios, Icinga 2, Checkmk, Zabbix, Monit,
    /// Alertmanager and CloudWatch alarms by SNS, then a keyword catch-all.
    public static let defaults: [EmailPattern] = [
        EmailPattern(
            name: "nagios",
            subject: #"\*\* (?<type>[A-Z]+) Service Alert: (?<host>[^/]+)/(?<service>.+?) is (?<state>[A-Z]+) \*\*"#,
            bodyFields: nagiosFields,
            statusWords: notificationTypes,
            identity: ["host", "service"],
            bodyWins: ["type", "state"],
            resolvingStates: ["ok", "up"]
        ),
        EmailPattern(
            name: "nagios",
            subject: #"\*\* (?<type>[A-Z]+) Host Alert: (?<host>.+?) is (?<state>[A-Z]+) \*\*"#,
            bodyFields: nagiosFields,
            statusWords: notificationTypes,
            identity: ["host"],
            bodyWins: ["type", "state"],
            resolvingStates: ["ok", "up"]
        ),
        EmailPattern(
            name: "icinga",
            subject: #"\[(?<type>[A-Z]+)\] Host (?<host>.+?) is (?<state>[A-Z]+)!"#,
            body: icingaBody,
            bodyFields: nagiosFields,
            statusWords: notificationTypes,
            identity: ["host"],
            bodyWins: ["type", "state"],
            resolvingStates: ["ok", "up"]
        ),
        EmailPattern(
            name: "icinga",
            subject: #"\[(?<type>[A-Z]+)\] (?<service>.+?) on (?<host>.+?) is (?<state>[A-Z]+)!"#,
            body: icingaBody,
            bodyFields: nagiosFields,
            statusWords: notificationTypes,
            identity: ["host", "service"],
            bodyWins: ["type", "state"],
            resolvingStates: ["ok", "up"]
        ),
        EmailPattern(
            name: "checkmk",
            subject: #"Check_MK: (?<host>[^/\s]+)(?:/(?<service>.+?))?(?: -)? Acknowledged \((?<state>\w+)\)"#,
            fixedStatus: .acknowledged,
            identity: ["host", "service"]
        ),
        EmailPattern(
            name: "checkmk",
            subject: #"Check_MK: (?<host>[^/\s]+)/(?<service>.+?) \w+ -> (?<state>\w+)"#,
            statusWords: targetStates,
            identity: ["host", "service"]
        ),
        EmailPattern(
            name: "checkmk",
            subject: #"Check_MK: (?<host>\S+) - \w+ -> (?<state>\w+)"#,
            statusWords: targetStates,
            identity: ["host"]
        ),
        EmailPattern(
            name: "zabbix",
            subject: #"(?<type>Problem): (?<title>.+)"#,
            body: [#"Original problem ID:\s*(?<id>\d+)"#],
            statusWords: [StatusWord("problem", .firing)],
            identity: ["id"]
        ),
        EmailPattern(
            name: "zabbix",
            subject: #"(?<type>Resolved)(?: in [^:]+)?: (?<title>.+)"#,
            body: [#"Original problem ID:\s*(?<id>\d+)"#],
            statusWords: [StatusWord("resolved", .resolved)],
            identity: ["id"]
        ),
        EmailPattern(
            name: "zabbix",
            subject: #"Updated problem(?: in [^:]+)?: (?<title>.+)"#,
            body: [#"Original problem ID:\s*(?<id>\d+)"#, #"\b(?<type>unacknowledged|acknowledged)\b"#],
            statusWords: [StatusWord("unacknowledged", .firing), StatusWord("acknowledged", .acknowledged)],
            fixedStatus: .firing,
            identity: ["id"]
        ),
        EmailPattern(
            name: "monit",
            subject: #"monit alert --\s+(?<type>.+?)\s+(?<service>\S+)"#,
            body: [#"(?m)^\s*Host:\s*(?<host>\S+)"#],
            statusWords: [
                StatusWord("timeout recovery", .resolved), StatusWord("succeeded", .resolved),
                StatusWord("does not exist", .firing),
                StatusWord("exists", .resolved), StatusWord("failed", .firing),
                StatusWord("resource limit matched", .firing),
                StatusWord("timeout", .firing),
            ],
            identity: ["host", "service"]
        ),
        EmailPattern(
            name: "alertmanager",
            subject: #"\[(?<type>FIRING|RESOLVED)(?::\d+)?\] (?<title>.+)"#,
            statusWords: [StatusWord("firing", .firing), StatusWord("resolved", .resolved)],
            identity: ["title"]
        ),
        EmailPattern(
            name: "cloudwatch",
            subject: #"(?<type>ALARM|OK|INSUFFICIENT_DATA): "(?<title>.+)" in (?<region>.+)"#,
            statusWords: [StatusWord("alarm", .firing), StatusWord("ok", .resolved)],
            identity: ["title", "region"]
        ),
        EmailPattern(
            name: "keyword",
            subject:
                #"(?i)(?:.*?)\b(?<type>problem|alert|alarm|critical|down|failed|firing|resolved|recovery|recovered|ok)\b[:\s-]*(?<title>.*)"#,
            statusWords: [
                StatusWord("resolved", .resolved), StatusWord("recover", .resolved), StatusWord("ok", .resolved),
                StatusWord("problem", .firing), StatusWord("alert", .firing), StatusWord("alarm", .firing),
                StatusWord("critical", .firing), StatusWord("down", .firing), StatusWord("failed", .firing),
                StatusWord("firing", .firing),
            ],
            identity: ["title"]
        ),
    ]
}
