//! Which rollbacks change nothing: a command that only prints (`echo` of plain or quoted words)
//! or does nothing at all (`true`, `:`). The prelude's `reboot` has such a rollback, because a
//! reboot has nothing to undo; the runners still run it (it only prints), but a person reading
//! the rollback procedure should not be sent to a host for it.
//!
//! The judgement is by the command's shape, not by its words: any rollback of that shape, in
//! the prelude or in a plan, counts, and one that redirects, substitutes, expands a variable or
//! runs a second command never does.

/// Whether a rendered command only prints fixed text or does nothing.
#[must_use]
pub fn only_prints(command: &str) -> bool {
    let command = command.trim();
    let (program, rest) = command.split_once([' ', '\t']).unwrap_or((command, ""));
    if !matches!(program, "echo" | "true" | ":") {
        return false;
    }
    let mut characters = rest.chars();
    while let Some(character) = characters.next() {
        match character {
            // Single quotes hold anything but a single quote, and nothing in them expands.
            '\'' => {
                if !characters.by_ref().any(|inside| inside == '\'') {
                    return false;
                }
            }
            // Double quotes expand `$`, backticks and backslashes: refuse those.
            '"' => loop {
                match characters.next() {
                    Some('"') => break,
                    Some('$' | '`' | '\\' | '!') | None => return false,
                    Some(_) => {}
                }
            },
            ' ' | '\t' => {}
            character if character.is_ascii_alphanumeric() || "-_.,/=+@%:".contains(character) => {}
            _ => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::only_prints;

    #[test]
    fn commands_that_only_print_change_nothing() {
        for command in ["echo 'a reboot has nothing to undo'", "true", ":", "echo done", "echo \"nothing, really\""] {
            assert!(only_prints(command), "{command}");
        }
    }

    #[test]
    fn anything_that_could_act_is_a_real_rollback() {
        for command in [
            "echo x > /etc/motd",
            "echo $(rm -rf /)",
            "echo 'x'; systemctl start a",
            "echo \"$HOME\"",
            "echo `id`",
            "echo 'unterminated",
            "echo x && reboot",
            "echo x | tee f",
            "systemctl start 'a.service'",
            "echoes x",
            "",
        ] {
            assert!(!only_prints(command), "{command}");
        }
    }
}
