//! The fake device's services: which OPEN destinations it serves, and its tiny shell.

use super::config::FakeDeviceConfig;
use crate::shell_v2::{self, StreamId};

/// A service the fake device serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Service {
    /// `shell:<cmd>` / `exec:<cmd>` (raw, output merged) or `shell,v2[,…]:<cmd>` (framed).
    Shell { v2: bool, command: String },
    /// `sync:`: file transfer, answered request by request (see `sync.rs`).
    Sync,
}

impl Service {
    /// Parse an OPEN destination; `None` for services the fake does not implement.
    pub(crate) fn parse(destination: &str) -> Option<Self> {
        if destination == "sync:" {
            return Some(Self::Sync);
        }
        if let Some(command) = destination.strip_prefix("exec:") {
            return Some(Self::Shell {
                v2: false,
                command: command.to_owned(),
            });
        }
        let rest = destination.strip_prefix("shell")?;
        let (args, command) = match rest.strip_prefix(':') {
            Some(command) => ("", command),
            None => rest.strip_prefix(',')?.split_once(':')?,
        };
        let v2 = args.split(',').any(|arg| arg == "v2");
        Some(Self::Shell {
            v2,
            command: command.to_owned(),
        })
    }

    /// The bytes a shell service sends back, before flow-control chunking (none for sync,
    /// which answers each request as it comes).
    pub(crate) fn output(&self, config: &FakeDeviceConfig) -> Vec<u8> {
        let Self::Shell { v2, command } = self else {
            return Vec::new();
        };
        let result = run(config, command);
        if !v2 {
            let mut merged = result.stdout;
            merged.extend(result.stderr);
            return merged;
        }
        // adbd frames what each read of the child's pipes returned: never one huge packet.
        let mut framed = Vec::new();
        for chunk in result.stdout.chunks(shell_v2::MAX_PACKET / 4) {
            shell_v2::encode_into(StreamId::Stdout, chunk, &mut framed);
        }
        for chunk in result.stderr.chunks(shell_v2::MAX_PACKET / 4) {
            shell_v2::encode_into(StreamId::Stderr, chunk, &mut framed);
        }
        shell_v2::encode_into(StreamId::Exit, &[result.exit_code], &mut framed);
        framed
    }
}

impl Service {
    /// What a command that never ends (`yes [WORD]`, as toybox's) writes over and over until the
    /// host closes the stream: one WRTE's worth, framed for shell v2 (`None` for any other
    /// command).
    pub(crate) fn endless(&self, max_payload: usize) -> Option<Vec<u8>> {
        let Self::Shell { v2, command } = self else {
            return None;
        };
        let line = match command.split_whitespace().map(unquote).collect::<Vec<_>>()[..] {
            ["yes"] => "y\n".to_owned(),
            ["yes", word] => format!("{word}\n"),
            _ => return None,
        };
        // Whole lines, leaving room for a shell v2 packet header.
        let lines = ((max_payload - 16) / line.len()).max(1);
        let raw = line.repeat(lines).into_bytes();
        if !v2 {
            return Some(raw);
        }
        let mut framed = Vec::new();
        shell_v2::encode_into(StreamId::Stdout, &raw, &mut framed);
        Some(framed)
    }
}

/// What one shell command produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ShellResult {
    pub(crate) stdout: Vec<u8>,
    pub(crate) stderr: Vec<u8>,
    pub(crate) exit_code: u8,
}

fn ok(stdout: String) -> ShellResult {
    ShellResult {
        stdout: stdout.into_bytes(),
        stderr: Vec::new(),
        exit_code: 0,
    }
}

fn unquote(word: &str) -> &str {
    for quote in ['\'', '"'] {
        if let Some(inner) = word.strip_prefix(quote).and_then(|w| w.strip_suffix(quote)) {
            return inner;
        }
    }
    word
}

/// Run `command`: configured answers first (exact match), then `getprop [KEY [DEFAULT]]` and
/// `echo` (and `yes`, which never ends: see [`Service::endless`]), else "inaccessible or not found" with exit code 127, as Android's shell says.
pub(crate) fn run(config: &FakeDeviceConfig, command: &str) -> ShellResult {
    let command = command.trim();
    if let Some(answer) = config.shell_answers.get(command) {
        return ShellResult {
            stdout: answer.stdout.clone().into_bytes(),
            stderr: Vec::new(),
            exit_code: answer.exit_code,
        };
    }
    let words: Vec<&str> = command.split_whitespace().map(unquote).collect();
    match words.as_slice() {
        [] => ok(String::new()),
        ["getprop"] => ok(config
            .properties
            .iter()
            .map(|(k, v)| format!("[{k}]: [{v}]\n"))
            .collect()),
        ["getprop", key] => ok(format!(
            "{}\n",
            config
                .properties
                .get(*key)
                .map(String::as_str)
                .unwrap_or("")
        )),
        ["getprop", key, default] => ok(format!(
            "{}\n",
            config
                .properties
                .get(*key)
                .map(String::as_str)
                .unwrap_or(default)
        )),
        ["echo", rest @ ..] => ok(format!("{}\n", rest.join(" "))),
        [program, ..] => ShellResult {
            stdout: Vec::new(),
            stderr: format!("/system/bin/sh: {program}: inaccessible or not found\n").into_bytes(),
            exit_code: 127,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_shell_service_forms() {
        let shell = |v2: bool, command: &str| {
            Some(Service::Shell {
                v2,
                command: command.into(),
            })
        };
        assert_eq!(Service::parse("shell:getprop"), shell(false, "getprop"));
        assert_eq!(
            Service::parse("shell,v2,raw:echo hi"),
            shell(true, "echo hi")
        );
        assert_eq!(
            Service::parse("shell,v2,TERM=xterm-256color,pty:"),
            shell(true, "")
        );
        assert_eq!(Service::parse("shell,raw:id"), shell(false, "id"));
        assert_eq!(Service::parse("exec:cat x"), shell(false, "cat x"));
        assert_eq!(Service::parse("sync:"), Some(Service::Sync));
        assert_eq!(Service::parse("reverse:list-forward"), None);
        assert_eq!(Service::parse("shellfoo:x"), None);
    }

    #[test]
    fn builtin_shell_answers() {
        let config = FakeDeviceConfig::new("S1")
            .shell_answer("pm list users", "Users:\n", 0)
            .shell_answer("false", "", 1);
        assert_eq!(run(&config, "getprop ro.serialno").stdout, b"S1\n");
        assert_eq!(
            run(&config, "getprop missing fallback").stdout,
            b"fallback\n"
        );
        assert_eq!(run(&config, "echo 'hello'  world").stdout, b"hello world\n");
        assert_eq!(run(&config, "pm list users").stdout, b"Users:\n");
        assert_eq!(run(&config, "false").exit_code, 1);
        let all = String::from_utf8(run(&config, "getprop").stdout).unwrap();
        assert!(all.contains("[ro.serialno]: [S1]\n"), "{all}");
        let unknown = run(&config, "dumpsys foo");
        assert_eq!(
            (unknown.exit_code, unknown.stderr.as_slice()),
            (
                127,
                &b"/system/bin/sh: dumpsys: inaccessible or not found\n"[..]
            )
        );
    }

    #[test]
    fn v2_output_is_framed_with_exit_code() {
        let config = FakeDeviceConfig::new("S1");
        let bytes = Service::parse("shell,v2,raw:nope").unwrap().output(&config);
        let mut out = shell_v2::ShellOutput::default();
        assert_eq!(out.absorb(&bytes).unwrap(), bytes.len());
        assert_eq!((out.exit_code, out.stdout.is_empty()), (Some(127), true));
        let raw = Service::parse("shell:nope").unwrap().output(&config);
        assert_eq!(raw, b"/system/bin/sh: nope: inaccessible or not found\n");
    }
}
