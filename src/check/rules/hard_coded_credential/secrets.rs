//! Where CUT036 finds secrets in a text: known token shapes, URLs with passwords, headers,
//! options and assignments named like secrets, each found with the text's shell words and
//! ranked so that overlapping findings are reported once, the most specific kept.

use std::ops::Range;

use crate::check::commands::{Word, command_index, unquoted};

/// What kind of secret a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Password,
    Secret,
    Token,
    ApiKey,
    UserPassword,
    UrlPassword,
    AuthorizationHeader,
    TokenHeader,
    BearerToken,
    AwsAccessKey,
    PrivateKey,
    GitHubToken,
    GitLabToken,
    SlackToken,
    SlackWebhook,
}

impl Kind {
    pub(super) fn describe(self) -> &'static str {
        match self {
            Self::Password => "a password",
            Self::Secret => "a secret",
            Self::Token => "a token",
            Self::ApiKey => "an API key",
            Self::UserPassword => "a `user:password` pair",
            Self::UrlPassword => "a URL with a password",
            Self::AuthorizationHeader => "an `Authorization` header",
            Self::TokenHeader => "a token header",
            Self::BearerToken => "a bearer token",
            Self::AwsAccessKey => "an AWS access key",
            Self::PrivateKey => "a private key",
            Self::GitHubToken => "a GitHub token",
            Self::GitLabToken => "a GitLab token",
            Self::SlackToken => "a Slack token",
            Self::SlackWebhook => "a Slack webhook URL",
        }
    }

    pub(super) fn help(self) -> &'static str {
        match self {
            Self::AuthorizationHeader | Self::TokenHeader | Self::BearerToken => {
                "read it when the command runs: `-H @/run/secrets/header` (curl reads the header from the file) or `-H \"Authorization: Bearer $TOKEN\"`; then rotate it, it is in the history"
            }
            Self::UserPassword => {
                "read it when the command runs: `-u \"user:$PASSWORD\"` or `--netrc-file FILE`; then rotate it, it is in the history"
            }
            Self::PrivateKey => {
                "keep the key in a file on the host and name the file (`-i /etc/dten/deploy.key`); then rotate it, it is in the history"
            }
            _ => {
                "read it from the environment (`$DB_PASSWORD`) or a file (`$(cat /run/secrets/db)`) when the command runs; then rotate it, it is in the history"
            }
        }
    }
}

/// One secret in a text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Finding {
    pub(super) kind: Kind,
    pub(super) range: Range<usize>,
    /// Lower is more specific; where findings overlap, the most specific one is kept.
    pub(super) priority: u8,
}

const SHAPE_PRIORITY: u8 = 0;
const URL_PRIORITY: u8 = 1;
const HEADER_PRIORITY: u8 = 2;
const OPTION_PRIORITY: u8 = 3;
pub(super) const KEY_PRIORITY: u8 = 4;
const BEARER_PRIORITY: u8 = 5;

/// Every secret in a text, in text order, overlapping ones reported once. `commands` are the
/// text's shell words.
pub(super) fn find_secrets(text: &str, commands: &[Vec<Word>]) -> Vec<Finding> {
    let mut candidates = Vec::new();
    find_shapes(text, &mut candidates);
    find_url_passwords(text, &mut candidates);
    find_headers(text, &mut candidates);
    find_in_words(text, commands, &mut candidates);
    find_assignments(text, &mut candidates);
    candidates.sort_by_key(|finding| (finding.priority, finding.range.start));
    let mut kept: Vec<Finding> = Vec::new();
    for candidate in candidates {
        let overlaps = kept
            .iter()
            .any(|finding| candidate.range.start < finding.range.end && finding.range.start < candidate.range.end);
        if !overlaps && !candidate.range.is_empty() {
            kept.push(candidate);
        }
    }
    kept.sort_by_key(|finding| finding.range.start);
    kept
}

/// Whether a value names where the secret comes from instead of holding it (`$VAR`, `{param}`,
/// `@file`…), or holds nothing a secret could be (empty, a boolean).
pub(super) fn is_reference(value: &str) -> bool {
    const NOT_SECRETS: &[&str] = &["-", "true", "false", "yes", "no", "none", "null", "on", "off"];
    value.is_empty()
        || NOT_SECRETS.iter().any(|word| value.eq_ignore_ascii_case(word))
        || value.starts_with(['$', '{', '@', '<'])
        || ["env:", "file:", "fd:", "stdin"].iter().any(|prefix| value.starts_with(prefix))
}

/// The kind of secret a variable, option or parameter of this name holds, if it names one.
/// Letters are compared without case, and `-` and `.` count as `_` (`DB-Password`,
/// `client.secret`); it runs for every argument and every `name=` of the plan, so it compares
/// in place rather than building the normalised name.
pub(super) fn key_kind(key: &str) -> Option<Kind> {
    let key = key.trim_start_matches('-').as_bytes();
    let normal = |byte: u8| if matches!(byte, b'-' | b'.') { b'_' } else { byte.to_ascii_lowercase() };
    let ends_with = |word: &str| {
        key.len() >= word.len() && key[key.len() - word.len()..].iter().zip(word.bytes()).all(|(&a, b)| normal(a) == b)
    };
    let ends_with_word = |word: &str| {
        ends_with(word) && (key.len() == word.len() || normal(key[key.len() - word.len() - 1]) == b'_')
    };
    if ends_with("password") || ends_with("passwd") || ends_with("_pwd") {
        Some(Kind::Password)
    } else if ends_with_word("secret") || ends_with_word("secret_key") || ends_with_word("secret_access_key") {
        Some(Kind::Secret)
    } else if ends_with_word("token") {
        Some(Kind::Token)
    } else if ends_with_word("api_key") || ends_with_word("apikey") {
        Some(Kind::ApiKey)
    } else {
        None
    }
}

/// The starts of the non-overlapping occurrences of `needle` in `text`, as `match_indices`
/// finds them. Most command texts are short, and this runs for some thirty needles on each:
/// finding the needle's first byte with `memchr` (through a `char` pattern) costs far less than
/// setting up a substring searcher every time.
fn occurrences<'t>(text: &'t str, needle: &'t str) -> impl Iterator<Item = usize> + 't {
    let first = needle.chars().next().unwrap_or_default();
    let mut next_allowed = 0;
    text.match_indices(first).filter_map(move |(start, _)| {
        let found = start >= next_allowed && text[start..].starts_with(needle);
        if found {
            next_allowed = start + needle.len();
        }
        found.then_some(start)
    })
}

fn is_token_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

/// Where a value starting at `start` ends: at its closing quote when quoted (the range is
/// inside the quotes), otherwise at the first space, quote or shell operator.
fn value_at(text: &str, start: usize) -> Range<usize> {
    let bytes = text.as_bytes();
    if let Some(&quote) = bytes.get(start).filter(|byte| matches!(byte, b'"' | b'\'')) {
        let end = text[start + 1..].find(quote as char).map_or(text.len(), |found| start + 1 + found);
        return start + 1..end;
    }
    let end = text[start..]
        .find(|c: char| c.is_whitespace() || "'\"`;&|()<>".contains(c))
        .map_or(text.len(), |found| start + found);
    start..end
}

/// A secret known by its prefix: the bytes that may follow the prefix, and how many of them
/// make one.
struct Prefixed {
    prefix: &'static str,
    kind: Kind,
    allowed: fn(u8) -> bool,
    lengths: Range<usize>,
}

const PREFIXED: &[Prefixed] = &[
    Prefixed { prefix: "AKIA", kind: Kind::AwsAccessKey, allowed: is_upper_or_digit, lengths: 16..17 },
    Prefixed { prefix: "ASIA", kind: Kind::AwsAccessKey, allowed: is_upper_or_digit, lengths: 16..17 },
    Prefixed { prefix: "ghp_", kind: Kind::GitHubToken, allowed: is_alphanumeric, lengths: 30..256 },
    Prefixed { prefix: "gho_", kind: Kind::GitHubToken, allowed: is_alphanumeric, lengths: 30..256 },
    Prefixed { prefix: "ghu_", kind: Kind::GitHubToken, allowed: is_alphanumeric, lengths: 30..256 },
    Prefixed { prefix: "ghs_", kind: Kind::GitHubToken, allowed: is_alphanumeric, lengths: 30..256 },
    Prefixed { prefix: "ghr_", kind: Kind::GitHubToken, allowed: is_alphanumeric, lengths: 30..256 },
    Prefixed { prefix: "github_pat_", kind: Kind::GitHubToken, allowed: is_token_byte, lengths: 22..256 },
    Prefixed { prefix: "glpat-", kind: Kind::GitLabToken, allowed: is_dashed, lengths: 20..256 },
    Prefixed { prefix: "xoxb-", kind: Kind::SlackToken, allowed: is_dashed, lengths: 10..256 },
    Prefixed { prefix: "xoxp-", kind: Kind::SlackToken, allowed: is_dashed, lengths: 10..256 },
    Prefixed { prefix: "xoxa-", kind: Kind::SlackToken, allowed: is_dashed, lengths: 10..256 },
    Prefixed { prefix: "xoxr-", kind: Kind::SlackToken, allowed: is_dashed, lengths: 10..256 },
    Prefixed { prefix: "xoxs-", kind: Kind::SlackToken, allowed: is_dashed, lengths: 10..256 },
];

/// For each byte, whether a prefix of [`PREFIXED`] starts with it.
const STARTS_A_PREFIX: [bool; 256] = {
    let mut starts = [false; 256];
    let mut index = 0;
    while index < PREFIXED.len() {
        starts[PREFIXED[index].prefix.as_bytes()[0] as usize] = true;
        index += 1;
    }
    starts
};

fn is_upper_or_digit(byte: u8) -> bool {
    byte.is_ascii_uppercase() || byte.is_ascii_digit()
}

fn is_alphanumeric(byte: u8) -> bool {
    byte.is_ascii_alphanumeric()
}

fn is_dashed(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'-')
}

/// Secrets recognised by their shape alone: cloud keys, private keys, vendor tokens.
fn find_shapes(text: &str, findings: &mut Vec<Finding>) {
    let bytes = text.as_bytes();
    let at_boundary = |start: usize| start == 0 || !is_token_byte(bytes[start - 1]);
    let run = |start: usize, allowed: fn(u8) -> bool| {
        start + bytes[start..].iter().take_while(|byte| allowed(**byte)).count()
    };
    // One pass over the text for all the prefixes, which start with only three different
    // bytes, rather than a search for each. As with `occurrences`, the matches of one prefix
    // do not overlap.
    let mut next_allowed = [0; PREFIXED.len()];
    for (start, &byte) in bytes.iter().enumerate() {
        if !STARTS_A_PREFIX[usize::from(byte)] {
            continue;
        }
        for (index, Prefixed { prefix, kind, allowed, lengths }) in PREFIXED.iter().enumerate() {
            if start < next_allowed[index] || !bytes[start..].starts_with(prefix.as_bytes()) {
                continue;
            }
            next_allowed[index] = start + prefix.len();
            let end = run(start + prefix.len(), *allowed);
            if at_boundary(start) && lengths.contains(&(end - start - prefix.len())) {
                findings.push(Finding { kind: *kind, range: start..end, priority: SHAPE_PRIORITY });
            }
        }
    }
    // The path of a Slack webhook URL is its secret.
    for start in occurrences(text, "hooks.slack.com/services/") {
        let path = start + "hooks.slack.com/services/".len();
        let end = run(path, |byte| byte.is_ascii_alphanumeric() || byte == b'/');
        if text[path..end].contains('/') && end - path >= 20 {
            findings.push(Finding { kind: Kind::SlackWebhook, range: path..end, priority: SHAPE_PRIORITY });
        }
    }
    for start in occurrences(text, "-----BEGIN ") {
        let header_end = text[start..].find('\n').map_or(text.len(), |found| start + found);
        if !text[start..header_end].contains("PRIVATE KEY-----") {
            continue;
        }
        let end = text[header_end..]
            .find("-----END ")
            .and_then(|found| {
                let footer = header_end + found;
                text[footer..].find("KEY-----").map(|key| footer + key + "KEY-----".len())
            })
            .unwrap_or(header_end);
        findings.push(Finding { kind: Kind::PrivateKey, range: start..end, priority: SHAPE_PRIORITY });
    }
}

/// `scheme://user:password@host`: the password.
fn find_url_passwords(text: &str, findings: &mut Vec<Finding>) {
    for separator in occurrences(text, "://") {
        let authority_start = separator + 3;
        let authority_end = text[authority_start..]
            .find(|c: char| c.is_whitespace() || "/?#'\"`;|()<>".contains(c))
            .map_or(text.len(), |found| authority_start + found);
        let authority = &text[authority_start..authority_end];
        let Some(at) = authority.rfind('@') else { continue };
        let Some(colon) = authority[..at].find(':') else { continue };
        let password = authority_start + colon + 1..authority_start + at;
        if !is_reference(&text[password.clone()]) {
            findings.push(Finding { kind: Kind::UrlPassword, range: password, priority: URL_PRIORITY });
        }
    }
}

/// `Authorization: Basic …`, `X-Api-Key: …`, `PRIVATE-TOKEN: …`, and `Bearer …` on its own.
fn find_headers(text: &str, findings: &mut Vec<Finding>) {
    const HEADERS: &[(&str, Kind)] = &[
        ("authorization", Kind::AuthorizationHeader),
        ("proxy-authorization", Kind::AuthorizationHeader),
        ("x-api-key", Kind::TokenHeader),
        ("api-key", Kind::TokenHeader),
        ("private-token", Kind::TokenHeader),
        ("job-token", Kind::TokenHeader),
        ("x-auth-token", Kind::TokenHeader),
        ("x-vault-token", Kind::TokenHeader),
    ];
    const SCHEMES: &[&str] = &["basic", "bearer", "token", "digest", "negotiate", "apikey", "key", "sso-key"];
    let lower = text.to_ascii_lowercase();
    let bytes = text.as_bytes();
    let word_after = |start: usize| {
        let start = start + text[start..].find(|c: char| c != ' ' && c != '\t').unwrap_or(text.len() - start);
        value_at(text, start)
    };
    // Every header is followed by a colon: texts without one have none.
    let headers = if text.contains(':') { HEADERS } else { &[] };
    for &(header, kind) in headers {
        for start in occurrences(&lower, header).filter(|start| lower[start + header.len()..].starts_with(':')) {
            if start > 0 && (bytes[start - 1].is_ascii_alphanumeric() || matches!(bytes[start - 1], b'-' | b'_')) {
                continue;
            }
            let first = word_after(start + header.len() + 1);
            let value = if SCHEMES.contains(&&lower[first.clone()]) { word_after(first.end) } else { first };
            if !is_reference(&text[value.clone()]) {
                findings.push(Finding { kind, range: value, priority: HEADER_PRIORITY });
            }
        }
    }
    for start in occurrences(&lower, "bearer ") {
        if start > 0 && is_token_byte(bytes[start - 1]) {
            continue;
        }
        let value = word_after(start + "bearer ".len());
        let token = &text[value.clone()];
        let looks_like_a_token = token.len() >= 8
            && token.bytes().all(|byte| byte.is_ascii_alphanumeric() || b"-._~+/=".contains(&byte))
            && (token.bytes().any(|byte| byte.is_ascii_digit()) || token.len() >= 20);
        if looks_like_a_token && !is_reference(token) {
            findings.push(Finding { kind: Kind::BearerToken, range: value, priority: BEARER_PRIORITY });
        }
    }
}

/// Secrets found through the command's words: `curl -u user:pass`, `sshpass -p pass`,
/// `--password pass`, openssl's `pass:…`.
fn find_in_words(text: &str, commands: &[Vec<Word>], findings: &mut Vec<Finding>) {
    // These read `--password` alone as "ask me", and the next word is something else.
    const OPTIONAL_PASSWORD: &[&str] = &["mysql", "mysqldump", "mysqladmin", "mariadb", "mariadb-dump"];
    for words in commands {
        let command = command_index(words).map(|index| words[index].basename());
        let mut push = |kind: Kind, range: Range<usize>| {
            if !is_reference(&text[range.clone()]) {
                findings.push(Finding { kind, range, priority: OPTION_PRIORITY });
            }
        };
        for (index, word) in words.iter().enumerate() {
            let next = words.get(index + 1);
            let flag: &str = &word.text;
            match command {
                Some("curl") if matches!(flag, "-u" | "--user" | "-U" | "--proxy-user") => {
                    if let Some(value) = next {
                        push_user_password(text, value.inner(text), &mut push);
                    }
                }
                Some("curl")
                    if flag.starts_with("--user=")
                        || (flag.starts_with("-u") && flag.len() > 2 && !flag.starts_with("--")) =>
                {
                    let skip = if flag.starts_with("--user=") { "--user=".len() } else { 2 };
                    push_user_password(text, unquoted(text, word.range.start + skip..word.range.end), &mut push);
                }
                Some("curl") if flag == "--oauth2-bearer" => {
                    if let Some(value) = next {
                        push(Kind::BearerToken, value.inner(text));
                    }
                }
                Some("sshpass") if flag == "-p" => {
                    if let Some(value) = next {
                        push(Kind::Password, value.inner(text));
                    }
                }
                Some("sshpass") if flag.starts_with("-p") && flag.len() > 2 => {
                    push(Kind::Password, unquoted(text, word.range.start + 2..word.range.end));
                }
                Some(name) if !OPTIONAL_PASSWORD.contains(&name) && flag.starts_with("--") && !flag.contains('=') => {
                    if let (Some(Kind::Password), Some(value)) = (key_kind(flag), next)
                        && !value.text.starts_with('-')
                    {
                        push(Kind::Password, value.inner(text));
                    }
                }
                _ => {}
            }
            if let Some(password) = word.text.strip_prefix("pass:")
                && !password.is_empty()
            {
                let inner = word.inner(text);
                push(Kind::Password, unquoted(text, inner.start + "pass:".len()..inner.end));
            }
        }
    }
}

/// `user:password` in `range`: the password, when there is one.
fn push_user_password(text: &str, range: Range<usize>, push: &mut impl FnMut(Kind, Range<usize>)) {
    if let Some(colon) = text[range.clone()].find(':') {
        push(Kind::UserPassword, range.start + colon + 1..range.end);
    }
}

/// `name=value` (and `name = value`) where the name says it holds a secret: `PGPASSWORD=…`,
/// `--db-password=…`, `?access_token=…`, `client_secret = …`.
fn find_assignments(text: &str, findings: &mut Vec<Finding>) {
    let bytes = text.as_bytes();
    for (equals, _) in text.match_indices('=') {
        let previous = equals.checked_sub(1).map(|index| bytes[index]);
        if bytes.get(equals + 1) == Some(&b'=') || matches!(previous, Some(b'=' | b'!' | b'<' | b'>')) {
            continue;
        }
        let key_end = text[..equals].trim_end_matches([' ', '\t']).len();
        let spaced = key_end < equals;
        let key_start = text[..key_end]
            .char_indices()
            .rev()
            .find(|(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
            .map_or(0, |(found, c)| found + c.len_utf8());
        // `$PASSWORD = …` compares a variable, it does not set one.
        if key_start == key_end || (key_start > 0 && matches!(bytes[key_start - 1], b'$' | b'{')) {
            continue;
        }
        let Some(kind) = key_kind(&text[key_start..key_end]) else { continue };
        // `password = x` in a config line written by the command: the value follows the spaces.
        let value_start =
            if spaced { text.len() - text[equals + 1..].trim_start_matches([' ', '\t']).len() } else { equals + 1 };
        let value = value_at(text, value_start);
        if !is_reference(&text[value.clone()]) {
            findings.push(Finding { kind, range: value, priority: KEY_PRIORITY });
        }
    }
}
