//! CUT036 `hard-coded-credential`.
//!
//! ## What it does
//!
//! Looks for secrets written into the plan: in every command template (`run`, `rollback`,
//! `verify` and `cleanup` of steps, and of the actions defined in the plan and in its
//! libraries), in arguments and parameter defaults, and in the plan's `notify` command. It
//! knows these shapes:
//!
//! - assignments and options: `password=…`, `PGPASSWORD=…`, `passwd=`, `secret=`,
//!   `client_secret=`, `token=`, `api_key=` (also with `-`, as in `--db-password=…`), and
//!   `--password VALUE`;
//! - `curl -u user:pass`, `curl --user user:pass`, `sshpass -p …`, openssl's `pass:…`;
//! - HTTP headers: `Authorization: Basic …`, `Authorization: Bearer …`, `X-Api-Key: …`,
//!   `PRIVATE-TOKEN: …`, and `Bearer …` on its own;
//! - a URL with a password (`https://user:pass@host`) or a token in its query (`?token=`,
//!   `?access_token=`, `api_key=`), and Slack webhook URLs;
//! - AWS access keys (`AKIA` and 16 more), private key blocks (`-----BEGIN … PRIVATE
//!   KEY-----`), GitHub (`ghp_…`, `github_pat_…`), GitLab (`glpat-…`) and Slack (`xoxb-…`,
//!   `xoxp-…`) tokens;
//! - an argument whose parameter is named like a secret (`password`, `token`, `api_key`…).
//!
//! A value that is clearly a reference is not a finding: `$VAR`, `${VAR}` (written `${{VAR}}`
//! in a template), `$(cat file)`, a `{param}` placeholder, `@file`, `-` (standard input),
//! `<placeholder>`, and openssl's `env:`/`file:`. The message names the kind of secret and
//! where it is, and never the secret itself; the underline shows where it is written.
//!
//! ## Why it matters
//!
//! A plan's commands are copied into the generated script, the runbook, the JSON plan and the
//! CI logs, and the plan itself lives in git: a secret written there is readable by everyone
//! who can read any of them, for as long as the history lives.
//!
//! ## Example
//!
//! ```yaml
//! steps:
//!   - id: dump
//!     run: PGPASSWORD=hunter2 pg_dump --host=db-1 --file=/backup/dten.dump dten
//!     rollback: rm -f /backup/dten.dump
//!   - id: announce
//!     run: >-
//!       curl -fsS -H "Authorization: Bearer 8d1f0c2a9b7e4f3a" https://status.internal/api/start
//!     rollback: "true"
//! ```
//!
//! ## Fix
//!
//! Read the secret when the command runs, from the environment or a file the host already
//! has: `PGPASSWORD="$PGPASSWORD"`, `--password-file /etc/dten/db.pass`,
//! `-H @/run/secrets/status-header`, `-u "deploy:$(cat /run/secrets/deploy)"`, or a
//! `~/.pgpass`/`.netrc`. Then rotate the secret that was written down: it is in the history.

use crate::check::Context;
use crate::check::commands::sub_span;
use crate::codes::CUT036;
use crate::diagnostic::Diagnostic;

mod secrets;

use secrets::{Finding, KEY_PRIORITY, find_secrets, is_reference, key_kind};

pub fn check(context: &Context<'_, '_>, diagnostics: &mut Vec<Diagnostic>) {
    for command in context.command_texts() {
        let text = &command.text.value;
        let mut findings = find_secrets(text, &command.commands);
        // An argument named like a secret holds one, unless it is a reference.
        if findings.is_empty()
            && let Some(parameter) = command.parameter
            && let Some(kind) = key_kind(parameter)
            && !is_reference(text.trim())
        {
            findings.push(Finding { kind, range: 0..text.len(), priority: KEY_PRIORITY });
        }
        for finding in findings {
            let span = sub_span(context.sources, command.text, finding.range);
            diagnostics.push(
                Diagnostic::new(CUT036, span, format!("{} in {}", finding.kind.describe(), command.place))
                    .with_primary_label(format!("{} is written here", finding.kind.describe()))
                    .with_help(finding.kind.help()),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::secrets::{Kind, find_secrets, key_kind};
    use crate::check::commands::shell_commands;
    use crate::testing::{DTEN_INVENTORY, DTEN_MANIFEST, codes_of, rule_diagnostics};
    use crate::codes::CUT036;

    /// The kind and the text of every secret found.
    fn secrets(text: &str) -> Vec<(Kind, &str)> {
        find_secrets(text, &shell_commands(text)).into_iter().map(|finding| (finding.kind, &text[finding.range])).collect()
    }

    #[test]
    fn passwords_secrets_and_tokens_in_assignments_and_options() {
        assert_eq!(secrets("PGPASSWORD=hunter2 pg_dump dten"), [(Kind::Password, "hunter2")]);
        assert_eq!(secrets("dtenctl login --db-password='s3cr3t pass'"), [(Kind::Password, "s3cr3t pass")]);
        assert_eq!(secrets("dtenctl login --password hunter2 --user ops"), [(Kind::Password, "hunter2")]);
        assert_eq!(secrets("vault write auth client_secret=abc123 x=1"), [(Kind::Secret, "abc123")]);
        assert_eq!(secrets("echo 'passwd = letmein' >> /etc/x.conf"), [(Kind::Password, "letmein")]);
        assert_eq!(secrets("sshpass -p hunter2 ssh db-1 true"), [(Kind::Password, "hunter2")]);
        assert_eq!(secrets("openssl pkcs12 -passin pass:hunter2 -in k.p12"), [(Kind::Password, "hunter2")]);
    }

    #[test]
    fn names_of_secrets_without_case_and_with_any_separator() {
        assert_eq!(key_kind("--DB-Password"), Some(Kind::Password));
        assert_eq!(key_kind("client.secret"), Some(Kind::Secret));
        assert_eq!(key_kind("AWS_SECRET_ACCESS_KEY"), Some(Kind::Secret));
        assert_eq!(key_kind("x-api-key"), Some(Kind::ApiKey));
        assert_eq!(key_kind("My.Token"), Some(Kind::Token));
        assert_eq!(key_kind("é_token"), Some(Kind::Token));
        // A word is one only after a separator: `mytoken` and `secretary` name no secret.
        for key in ["mypwd_x", "mytoken", "secretary", "tokens", "apikeys", "é_tokén"] {
            assert_eq!(key_kind(key), None, "{key}");
        }
    }

    #[test]
    fn curl_users_headers_and_urls() {
        assert_eq!(secrets("curl -fsS -u deploy:hunter2 https://ci/api"), [(Kind::UserPassword, "hunter2")]);
        assert_eq!(secrets("curl --user \"deploy:hunter2\" https://ci/api"), [(Kind::UserPassword, "hunter2")]);
        assert_eq!(
            secrets("curl -H 'Authorization: Basic ZGVwbG95Omh1bnRlcjI=' https://ci/api"),
            [(Kind::AuthorizationHeader, "ZGVwbG95Omh1bnRlcjI=")]
        );
        assert_eq!(
            secrets("curl -H \"authorization: bearer 8d1f0c2a9b7e\" https://ci/api"),
            [(Kind::AuthorizationHeader, "8d1f0c2a9b7e")]
        );
        assert_eq!(secrets("curl -H 'X-Api-Key: k3y-123' https://x/"), [(Kind::TokenHeader, "k3y-123")]);
        assert_eq!(secrets("git clone https://deploy:hunter2@git.internal/dten.git"), [(Kind::UrlPassword, "hunter2")]);
        assert_eq!(secrets("curl 'https://ci/api?job=1&token=abc123'"), [(Kind::Token, "abc123")]);
        assert_eq!(secrets("curl https://ci/api?access_token=abc123"), [(Kind::Token, "abc123")]);
        assert_eq!(secrets("curl https://maps/api?api_key=abc123"), [(Kind::ApiKey, "abc123")]);
    }

    #[test]
    fn keys_and_vendor_tokens_by_shape() {
        assert_eq!(
            secrets("AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE aws s3 ls"),
            [(Kind::AwsAccessKey, "AKIAIOSFODNN7EXAMPLE")]
        );
        let github = "ghp_0123456789abcdefghijABCDEFGHIJ012345";
        assert_eq!(secrets(&format!("gh auth login --with-token <<< {github}")), [(Kind::GitHubToken, github)]);
        let gitlab = "glpat-0123456789abcdefABCD";
        assert_eq!(
            secrets(&format!("curl -H 'PRIVATE-TOKEN: {gitlab}' https://gl/api")),
            [(Kind::GitLabToken, gitlab)]
        );
        let slack = "xoxb-1234567890-abcdefghij";
        assert_eq!(
            secrets(&format!("curl -H 'Authorization: Bearer {slack}' https://slack.com/api/chat.postMessage")),
            [(Kind::SlackToken, slack)]
        );
        let key = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk=\n-----END OPENSSH PRIVATE KEY-----";
        assert_eq!(secrets(&format!("cat > /root/.ssh/id <<'EOF'\n{key}\nEOF")), [(Kind::PrivateKey, key)]);
    }

    #[test]
    fn references_are_not_secrets() {
        for text in [
            "PGPASSWORD=$PGPASSWORD pg_dump dten",
            "PGPASSWORD=\"${{PGPASSWORD}}\" pg_dump dten",
            "PASSWORD=\"$(cat /run/secrets/db)\" ./migrate.sh",
            "dtenctl login --password {password}",
            "dtenctl login --password-file /etc/dten/pass",
            "docker login --password-stdin < /run/secrets/registry",
            "curl -u \"deploy:$DEPLOY_PASSWORD\" https://ci/api",
            "curl -u deploy https://ci/api",
            "curl -H @/run/secrets/auth-header https://ci/api",
            "curl -H \"Authorization: Bearer $TOKEN\" https://ci/api",
            "curl -d @payload.json https://ci/api?token={token}",
            "git clone https://deploy:${{GIT_PASSWORD}}@git.internal/dten.git",
            "openssl pkcs12 -passin env:P12_PASS -in k.p12",
            "mysql -u root --password dten < dump.sql",
            "runuser -u postgres -- psql -c 'select 1'",
            "if [ \"$PASSWORD\" = \"\" ]; then exit 1; fi",
            "test $token == x",
            "docker run -u 1000:1000 img",
            "install -o postgres -g postgres -m 0700 /x",
            "apt-get -o Dpkg::Options::=--force-confold install x",
        ] {
            assert_eq!(secrets(text), [], "{text}");
        }
    }

    #[test]
    fn reported_with_the_kind_and_never_the_secret() {
        let plan = "notify: \"curl -fsS -d {message} https://hooks.example/x?token=abc123def\"\nsteps:\n  - id: dump\n    run: PGPASSWORD=hunter2 pg_dump dten\n    rollback: \"true\"\n    estimate: 1m\n  - { id: login, do: login, with: { password: hunter2 }, estimate: 1m }\nactions:\n  login:\n    params: { password: string }\n    run: \"dtenctl login --password {password}\"\n    rollback: \"true\"\n";
        let diagnostics = rule_diagnostics(CUT036, plan, DTEN_MANIFEST, DTEN_INVENTORY);
        let cut036: Vec<_> = diagnostics.iter().filter(|diagnostic| diagnostic.code.as_str() == "CUT036").collect();
        let messages: Vec<&str> = cut036.iter().map(|diagnostic| diagnostic.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "a token in the plan's `notify` command",
                "a password in the `run` command of step `dump`",
                "a password in argument `password` of step `login`",
            ]
        );
        for diagnostic in cut036 {
            let labels = diagnostic.secondary.iter().chain([&diagnostic.primary]);
            let shown: Vec<&str> = labels.filter_map(|label| label.message.as_deref()).collect();
            assert!(!shown.iter().chain([&diagnostic.message.as_str()]).any(|text| text.contains("hunter2")));
            assert!(!shown.iter().chain([&diagnostic.message.as_str()]).any(|text| text.contains("abc123")));
        }
    }

    #[test]
    fn the_span_underlines_the_secret() {
        let plan = "steps:\n  - { id: dump, run: \"PGPASSWORD=hunter2 pg_dump dten\", rollback: \"true\" }\n";
        let compilation = crate::testing::compile_body(plan, DTEN_MANIFEST, DTEN_INVENTORY);
        let diagnostic = compilation.diagnostics.iter().find(|diagnostic| diagnostic.code.as_str() == "CUT036");
        let span = diagnostic.expect("a CUT036").primary.span;
        assert_eq!(compilation.sources.slice(span), "hunter2");
        assert_eq!(codes_of(&compilation.diagnostics), ["CUT036"]);
    }
}
