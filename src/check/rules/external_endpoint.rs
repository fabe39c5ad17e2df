//! CUT037 `external-endpoint`.
//!
//! ## What it does
//!
//! Warns about every host outside the fleet that the plan reaches: a URL
//! (`scheme://host…`) anywhere in a command template, an argument, a parameter default or
//! `notify`, and the host of an `ssh`, `scp`, `rsync` or `curl` command (`ssh deploy@host`,
//! `scp file host:/path`, `rsync -a dir/ host::module`, `curl host/path`). These hosts are
//! fine:
//!
//! - local ones: `localhost`, `127.0.0.0/8` addresses and `::1`;
//! - the hosts of the inventory;
//! - those `cutover.toml` allows under `[endpoints]`, `allowed = [...]`. An entry matches a
//!   host exactly (`status.example.com`); an entry starting with a dot (or `*.`) matches the
//!   domain and every host under it (`.example.com`); an entry with a scheme is a URL prefix
//!   (`https://hooks.slack.com/services/T0123/`) and matches URLs that start with it, at a
//!   `/`, `?` or `#` (so `https://example.com` does not allow `https://example.com.evil.net`).
//!
//! A host written as a placeholder (`{url}`, `$HOST`) is not judged: its value is.
//!
//! ## Why it matters
//!
//! A plan that reaches outside the fleet depends on something the maintenance window does not
//! control: a vendor's download server, a chat webhook, a colleague's laptop. It can fail
//! halfway for reasons nobody on call can fix, and it may send data where it should not go.
//! Listing what is expected in `cutover.toml` makes every new endpoint a reviewed change.
//!
//! ## Example
//!
//! ```yaml
//! notify: "curl -fsS -d text={message} https://hooks.slack.com/services/T0123/B0456/XXXX"
//! steps:
//!   - id: fetch-package
//!     run: curl -fsSLO https://downloads.dten.example/4.2.0/dten-core.deb
//!     rollback: rm -f dten-core.deb
//! ```
//!
//! ## Fix
//!
//! Fetch from a mirror inside the fleet (a host of the inventory), or, when the plan is meant
//! to reach the endpoint, allow it in `cutover.toml`:
//!
//! ```toml
//! [endpoints]
//! allowed = [".dten.example", "https://hooks.slack.com/services/T0123/"]
//! ```

use std::ops::Range;

use crate::check::Context;
use crate::check::commands::{Word, command_index, sub_span, unquoted};
use crate::codes::CUT037;
use crate::diagnostic::Diagnostic;

pub fn check(context: &Context<'_, '_>, diagnostics: &mut Vec<Diagnostic>) {
    // A set: every endpoint found is looked up, and fleets run to thousands of hosts.
    let inventory_hosts: std::collections::HashSet<String> = context
        .inputs
        .inventory
        .map(|inventory| inventory.hosts.keys().map(|host| host.to_ascii_lowercase()).collect())
        .unwrap_or_default();
    let allowed = &context.inputs.settings.endpoints_allowed;
    for command in context.command_texts() {
        let mut reported: Vec<String> = Vec::new();
        for endpoint in endpoints(&command.text.value, &command.commands) {
            if is_local(&endpoint.host)
                || inventory_hosts.contains(&endpoint.host)
                || is_allowed(&endpoint, allowed)
                || reported.contains(&endpoint.host)
            {
                continue;
            }
            let span = sub_span(context.sources, command.text, endpoint.range.clone());
            diagnostics.push(
                Diagnostic::new(CUT037, span, format!("external endpoint `{}` in {}", endpoint.host, command.place))
                    .with_primary_label("not local, not a host of the inventory, not in `endpoints.allowed`")
                    .with_help(format!(
                        "reach a host of the fleet instead, or allow it in cutover.toml: `allowed = [\"{}\"]` under `[endpoints]`",
                        endpoint.host
                    )),
            );
            reported.push(endpoint.host);
        }
    }
}

/// A host a command reaches.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Endpoint {
    /// Lowercase, without brackets, port or trailing dot.
    host: String,
    /// Where the host is written in the text.
    range: Range<usize>,
    /// The whole URL, when the host was found in one.
    url: Option<String>,
}

/// Every endpoint a text reaches, in text order: hosts of URLs, then of `ssh`, `scp`, `rsync`
/// and `curl` arguments written without a scheme. `commands` are the text's shell words.
fn endpoints(text: &str, commands: &[Vec<Word>]) -> Vec<Endpoint> {
    let mut found = urls(text);
    for words in commands {
        let Some(index) = command_index(words) else { continue };
        let arguments = &words[index + 1..];
        match words[index].basename() {
            "ssh" => ssh_hosts(text, arguments, &mut found),
            "scp" => copy_hosts(text, arguments, SCP_OPTIONS_WITH_VALUE, &[], &mut found),
            "rsync" => copy_hosts(text, arguments, RSYNC_OPTIONS_WITH_VALUE, RSYNC_LONG_OPTIONS_WITH_VALUE, &mut found),
            "curl" => curl_hosts(text, arguments, &mut found),
            _ => {}
        }
    }
    found.sort_by_key(|endpoint| endpoint.range.start);
    found
}

const SSH_OPTIONS_WITH_VALUE: &str = "BbcDEeFIiJLlmOopQRSWw";
const SCP_OPTIONS_WITH_VALUE: &str = "cFiJloPSX";
const RSYNC_OPTIONS_WITH_VALUE: &str = "eBfMT";
const RSYNC_LONG_OPTIONS_WITH_VALUE: &[&str] = &[
    "--rsh",
    "--rsync-path",
    "--exclude",
    "--include",
    "--filter",
    "--exclude-from",
    "--include-from",
    "--files-from",
    "--password-file",
    "--log-file",
    "--temp-dir",
    "--partial-dir",
    "--backup-dir",
    "--suffix",
    "--chown",
    "--chmod",
    "--usermap",
    "--groupmap",
    "--port",
    "--timeout",
    "--contimeout",
    "--bwlimit",
    "--compare-dest",
    "--copy-dest",
    "--link-dest",
    "--max-size",
    "--min-size",
    "--skip-compress",
];
const CURL_OPTIONS_WITH_VALUE: &str = "AbcCdDeEFHKmoPQrtTuUwxXyYz";
/// curl's long options that take no value; every other one is taken to take the next word.
const CURL_FLAGS: &[&str] = &[
    "--silent",
    "--show-error",
    "--fail",
    "--fail-with-body",
    "--fail-early",
    "--location",
    "--location-trusted",
    "--insecure",
    "--compressed",
    "--head",
    "--include",
    "--verbose",
    "--globoff",
    "--get",
    "--no-buffer",
    "--remote-name",
    "--remote-name-all",
    "--remote-header-name",
    "--create-dirs",
    "--http1.1",
    "--http2",
    "--ipv4",
    "--ipv6",
    "--no-progress-meter",
    "--progress-bar",
    "--netrc",
    "--netrc-optional",
    "--retry-all-errors",
    "--retry-connrefused",
    "--path-as-is",
    "--basic",
    "--digest",
    "--ntlm",
    "--negotiate",
    "--anyauth",
    "--ssl-reqd",
    "--tlsv1.2",
    "--tlsv1.3",
    "--raw",
    "--no-keepalive",
    "--tcp-nodelay",
    "--parallel",
];

/// `scheme://[user@]host[:port]…`.
fn urls(text: &str) -> Vec<Endpoint> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    for (separator, _) in text.match_indices("://") {
        let scheme_start = text[..separator]
            .char_indices()
            .rev()
            .find(|(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
            .map_or(0, |(found, c)| found + c.len_utf8());
        if scheme_start == separator || !bytes[scheme_start].is_ascii_alphabetic() {
            continue;
        }
        let authority_start = separator + 3;
        let end = text[authority_start..]
            .find(|c: char| c.is_whitespace() || "'\"`;|()<>".contains(c))
            .map_or(text.len(), |found| authority_start + found);
        let authority_end =
            text[authority_start..end].find(['/', '?', '#']).map_or(end, |found| authority_start + found);
        let host_start =
            text[authority_start..authority_end].rfind('@').map_or(authority_start, |at| authority_start + at + 1);
        if let Some(range) = host_range(text, host_start..authority_end) {
            found.push(Endpoint {
                host: normalize(&text[range.clone()]),
                range,
                url: Some(text[scheme_start..end].to_owned()),
            });
        }
    }
    found
}

/// The host in `host[:port]` or `[v6]:port`, unless it is empty or a placeholder.
fn host_range(text: &str, range: Range<usize>) -> Option<Range<usize>> {
    let written = &text[range.clone()];
    let host = if let Some(bracketed) = written.strip_prefix('[') {
        let close = bracketed.find(']')?;
        range.start + 1..range.start + 1 + close
    } else {
        range.start..written.find(':').map_or(range.end, |colon| range.start + colon)
    };
    let name = &text[host.clone()];
    let placeholder = name.contains(['$', '{', '}', '%', '*', '<', '`']);
    (!name.is_empty() && !placeholder).then_some(host)
}

fn normalize(host: &str) -> String {
    host.trim_end_matches('.').to_ascii_lowercase()
}

fn push_host(text: &str, range: Range<usize>, found: &mut Vec<Endpoint>) {
    if let Some(range) = host_range(text, range) {
        found.push(Endpoint { host: normalize(&text[range.clone()]), range, url: None });
    }
}

/// The arguments of a command that are not options or option values. `short` lists the
/// single-letter options that take a value; long options take one after `=`, or as the next
/// word when `takes_value` says so.
fn operands<'w, 't>(arguments: &'w [Word<'t>], short: &str, takes_value: impl Fn(&str) -> bool) -> Vec<&'w Word<'t>> {
    let mut operands = Vec::new();
    let mut index = 0;
    while let Some(word) = arguments.get(index) {
        index += 1;
        let text: &str = &word.text;
        if text == "--" {
            operands.extend(&arguments[index..]);
            break;
        }
        if let Some(long) = text.strip_prefix("--") {
            if !long.contains('=') && takes_value(text) {
                index += 1;
            }
        } else if let Some(cluster) = text.strip_prefix('-').filter(|cluster| !cluster.is_empty()) {
            // In `-fsSo file` only the last letter can take a value, and then from the next word.
            let takes = cluster.char_indices().find(|(_, letter)| short.contains(*letter));
            if takes.is_some_and(|(at, _)| at + 1 == cluster.len()) {
                index += 1;
            }
        } else {
            operands.push(word);
        }
    }
    operands
}

/// `ssh [options] [user@]host [command]`: the destination, and a `-J` jump host.
fn ssh_hosts(text: &str, arguments: &[Word], found: &mut Vec<Endpoint>) {
    for (index, word) in arguments.iter().enumerate() {
        if word.text == "-J"
            && let Some(jump) = arguments.get(index + 1)
        {
            for part in split_hosts(text, jump.inner(text), ',') {
                push_host(text, after_user(text, part), found);
            }
        }
    }
    let Some(destination) = operands(arguments, SSH_OPTIONS_WITH_VALUE, |_| false).into_iter().next() else { return };
    if !destination.text.contains("://") {
        push_host(text, after_user(text, destination.inner(text)), found);
    }
}

/// `scp`/`rsync`: every operand written `[user@]host:path` or `host::module`.
fn copy_hosts(text: &str, arguments: &[Word], short: &str, long: &[&str], found: &mut Vec<Endpoint>) {
    for operand in operands(arguments, short, |option| long.contains(&option)) {
        let range = operand.inner(text);
        let written = &text[range.clone()];
        if written.contains("://") {
            continue;
        }
        let Some(colon) = remote_colon(written) else { continue };
        let host = after_user(text, range.start..range.start + colon);
        push_host(text, host, found);
    }
}

/// Where the colon of `host:path` is, if the operand is remote: a local path holds a `/`
/// before its first colon.
fn remote_colon(written: &str) -> Option<usize> {
    if let Some(bracketed) = written.strip_prefix('[').or_else(|| written.split_once("@[").map(|(_, rest)| rest)) {
        let close = written.len() - bracketed.len() + bracketed.find(']')?;
        return (written.as_bytes().get(close + 1) == Some(&b':')).then_some(close + 1);
    }
    let colon = written.find(':')?;
    (colon > 0 && !written[..colon].contains('/')).then_some(colon)
}

/// `curl [options] host/path`: operands written without a scheme that look like a host.
fn curl_hosts(text: &str, arguments: &[Word], found: &mut Vec<Endpoint>) {
    let takes_value = |option: &str| !CURL_FLAGS.contains(&option);
    for operand in operands(arguments, CURL_OPTIONS_WITH_VALUE, takes_value) {
        let range = operand.inner(text);
        let written = &text[range.clone()];
        if written.contains("://") || written.starts_with(['.', '/', '~', '@', '$', '{']) {
            continue;
        }
        let host_end = written.find(['/', '?', '#']).map_or(range.end, |found| range.start + found);
        let host = host_range(text, range.start..host_end);
        let looks_like_a_host = host.as_ref().is_some_and(|host| {
            let name = &text[host.clone()];
            name.bytes().all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'-'))
                && (name.contains('.') || name.eq_ignore_ascii_case("localhost"))
        });
        if looks_like_a_host && let Some(host) = host {
            found.push(Endpoint { host: normalize(&text[host.clone()]), range: host, url: None });
        }
    }
}

/// `user@host` to `host`.
fn after_user(text: &str, range: Range<usize>) -> Range<usize> {
    let range = unquoted(text, range);
    text[range.clone()].rfind('@').map_or(range.clone(), |at| range.start + at + 1..range.end)
}

fn split_hosts(text: &str, range: Range<usize>, separator: char) -> Vec<Range<usize>> {
    let mut parts = Vec::new();
    let mut start = range.start;
    for (offset, _) in text[range.clone()].match_indices(separator) {
        parts.push(start..range.start + offset);
        start = range.start + offset + 1;
    }
    parts.push(start..range.end);
    parts
}

/// `localhost`, `127.0.0.0/8` and `::1`.
fn is_local(host: &str) -> bool {
    let octets: Vec<&str> = host.split('.').collect();
    let loopback_v4 = octets.len() == 4 && octets[0] == "127" && octets.iter().all(|octet| octet.parse::<u8>().is_ok());
    host == "localhost" || host == "::1" || loopback_v4
}

/// Whether an entry of `endpoints.allowed` allows the endpoint: the same host, a host under a
/// `.domain` (or `*.domain`) entry, or a URL under a URL-prefix entry.
fn is_allowed(endpoint: &Endpoint, allowed: &[String]) -> bool {
    allowed.iter().any(|entry| {
        let entry = entry.trim().to_ascii_lowercase();
        if entry.contains("://") {
            let Some(url) = &endpoint.url else { return false };
            let url = url.to_ascii_lowercase();
            return url.strip_prefix(&entry).is_some_and(|rest| {
                entry.ends_with(['/', '?', '#']) || rest.is_empty() || rest.starts_with(['/', '?', '#'])
            });
        }
        let entry = entry.strip_prefix('*').unwrap_or(&entry).trim_end_matches('.');
        match entry.strip_prefix('.') {
            Some(domain) => endpoint.host == domain || endpoint.host.ends_with(entry),
            None => endpoint.host == entry,
        }
    })
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::endpoints;
    use crate::check::commands::shell_commands;
    use crate::config::Settings;
    use crate::diagnostic::Diagnostic;
    use crate::source::SourceMap;
    use crate::testing::{DTEN_INVENTORY, DTEN_MANIFEST, LIBRARY, codes_of};

    fn hosts(text: &str) -> Vec<String> {
        endpoints(text, &shell_commands(text)).into_iter().map(|endpoint| endpoint.host).collect()
    }

    /// Compiles `body` with `cutover.toml` settings allowing `allowed`.
    fn diagnostics_with(body: &str, allowed: &[&str]) -> Vec<Diagnostic> {
        let plan = format!(
            "cutover: 1\nplan: test\nmanifest: manifest.yaml\ninventory: inventory.yaml\nuse: [lib.yaml]\n{body}"
        );
        let sources = SourceMap::with_files([
            (PathBuf::from("t/plan.yaml"), plan),
            (PathBuf::from("t/manifest.yaml"), DTEN_MANIFEST.to_owned()),
            (PathBuf::from("t/inventory.yaml"), DTEN_INVENTORY.to_owned()),
            (PathBuf::from("t/lib.yaml"), LIBRARY.to_owned()),
        ]);
        let settings = Settings {
            endpoints_allowed: allowed.iter().map(|entry| (*entry).to_owned()).collect(),
            ..Settings::default()
        };
        crate::driver::compile_with(sources, &PathBuf::from("t/plan.yaml"), &settings)
            .expect("in-memory files always load")
            .diagnostics
    }

    #[test]
    fn hosts_of_urls_and_of_remote_commands() {
        assert_eq!(hosts("curl -fsS https://Downloads.Example.com:8443/x.deb -o x.deb"), ["downloads.example.com"]);
        assert_eq!(hosts("git clone ssh://git@git.example.com/dten.git"), ["git.example.com"]);
        assert_eq!(hosts("ssh -p 2222 -i ~/.ssh/id deploy@bastion.example.com uptime"), ["bastion.example.com"]);
        assert_eq!(hosts("ssh -J jump.example.com app-9 true"), ["jump.example.com", "app-9"]);
        assert_eq!(hosts("scp -P 2222 dump.sql backup@vault.example.com:/srv/"), ["vault.example.com"]);
        assert_eq!(
            hosts("rsync -a --exclude 'a:b' -e 'ssh -p 22' dir/ mirror.example.com::dten"),
            ["mirror.example.com"]
        );
        assert_eq!(hosts("curl -fsSo /tmp/x status.example.com/health"), ["status.example.com"]);
        assert_eq!(hosts("sudo -u postgres timeout 30 curl -m 5 http://[2001:db8::1]:80/"), ["2001:db8::1"]);
    }

    #[test]
    fn local_paths_placeholders_and_option_values_are_not_hosts() {
        for text in [
            "rsync -a --delete {datadir}/ {dest}/",
            "rsync -a /var/lib/a:b/ /srv/copy/",
            "scp ./a.txt /tmp/b.txt",
            "curl -fsS -o /dev/null -w '%{{http_code}}' {url}",
            "curl -fsS https://{host}/health http://$HOST:8080/",
            "curl -H 'Host: example.com' -d @body.json --max-time 5 -X POST {url}",
            "rsync -e ssh src/ dst/",
            "ssh $TARGET uptime",
            "cat file:///etc/hosts",
            "echo see https:// for more",
        ] {
            assert_eq!(hosts(text), Vec::<String>::new(), "{text}");
        }
    }

    #[test]
    fn local_inventory_and_allowed_hosts_are_fine() {
        let plan = "notify: \"curl -fsS -d {message} https://hooks.slack.com/services/T0123/B0456/x\"\nsteps:\n  - id: fetch\n    run: >-\n      curl -fsSLO https://downloads.dten.example/4.2.0/dten.deb &&\n      curl -fsS http://127.0.0.1:8080/ http://localhost/ http://[::1]/ &&\n      scp dten.deb app-1:/tmp/ && ssh db-1 true && curl https://status.example.com/\n    rollback: \"true\"\n";
        let nothing_allowed = diagnostics_with(plan, &[]);
        let messages: Vec<&str> = nothing_allowed.iter().map(|diagnostic| diagnostic.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "external endpoint `hooks.slack.com` in the plan's `notify` command",
                "external endpoint `downloads.dten.example` in the `run` command of step `fetch`",
                "external endpoint `status.example.com` in the `run` command of step `fetch`",
            ]
        );
        let allowed =
            diagnostics_with(plan, &["https://hooks.slack.com/services/T0123/", ".dten.example", "status.example.com"]);
        assert_eq!(codes_of(&allowed), Vec::<&str>::new());
        // A URL prefix ends at a path boundary, and a domain entry does not allow its look-alikes.
        let narrower =
            diagnostics_with(plan, &["https://hooks.slack.com/services/T01", "*.example.com", "dten.example"]);
        assert_eq!(codes_of(&narrower), ["CUT037", "CUT037"]);
    }

    #[test]
    fn the_span_is_the_host() {
        let compilation = crate::testing::compile_body(
            "steps:\n  - { id: fetch, run: \"curl -fsSLO https://downloads.dten.example/dten.deb\", rollback: \"true\" }\n",
            DTEN_MANIFEST,
            DTEN_INVENTORY,
        );
        assert_eq!(codes_of(&compilation.diagnostics), ["CUT037"]);
        assert_eq!(compilation.sources.slice(compilation.diagnostics[0].primary.span), "downloads.dten.example");
    }
}
