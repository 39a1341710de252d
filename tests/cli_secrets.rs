//! Secrets typed or passed to `stagebench`, and hostile text it prints (issue 13, finding 9): the
//! pack passphrase prompt does not echo (run under a real terminal, util-linux `script`); a
//! token comes from an environment variable or standard input as well as an argument; control
//! characters from a Wi-Fi name reach the terminal escaped.

use std::io::{Read, Write};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Instant;

use stagebench_e2e::built_binary;
use stagebench_e2e::wait::{PATIENCE, POLL};

const TOKEN: &str = "ZXNFstagingTOKEN0123456789";

fn qr(data: &std::path::Path, args: &[&str], env: &[(&str, &str)], stdin: &str) -> Output {
    let mut child = Command::new(built_binary("stagebench"))
        .arg("qr")
        .args(args)
        .env("STAGEBENCH_DATA_DIR", data)
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("stagebench starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn payload_of(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["payload"].as_str().unwrap().to_owned()
}

#[test]
fn a_token_comes_from_the_environment_or_standard_input_too() {
    let data = tempfile::tempdir().unwrap();
    let json = ["--json", "--reveal"];
    let by_arg = payload_of(&qr(
        data.path(),
        &[&["--token", TOKEN][..], &json].concat(),
        &[],
        "",
    ));
    assert!(by_arg.contains(TOKEN), "{by_arg}");
    let by_env = qr(
        data.path(),
        &[&["--token-env", "SB_TOKEN"][..], &json].concat(),
        &[("SB_TOKEN", TOKEN)],
        "",
    );
    assert_eq!(payload_of(&by_env), by_arg);
    let by_stdin = qr(
        data.path(),
        &[&["--token", "-"][..], &json].concat(),
        &[],
        &format!("{TOKEN}\n"),
    );
    assert_eq!(payload_of(&by_stdin), by_arg);
    let unset = qr(data.path(), &["--token-env", "SB_NO_SUCH_VAR"], &[], "");
    let err = String::from_utf8_lossy(&unset.stderr);
    assert!(
        !unset.status.success() && err.contains("SB_NO_SUCH_VAR"),
        "{err}"
    );
}

#[test]
fn control_characters_in_a_wifi_name_are_shown_escaped() {
    let data = tempfile::tempdir().unwrap();
    let ssid = "\u{1b}]0;pwned\u{7}\u{1b}[2JCorp\rerror: fake";
    let out = qr(
        data.path(),
        &["--token-env", "SB_TOKEN", "--wifi-ssid", ssid],
        &[("SB_TOKEN", TOKEN)],
        "",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shown = String::from_utf8_lossy(&out.stdout);
    let summary: String = shown
        .lines()
        .filter(|l| !l.contains('█') && !l.contains('▀') && !l.contains('▄'))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        !summary.contains('\u{1b}') && !summary.contains('\r') && !summary.contains('\u{7}'),
        "raw control characters reached the terminal: {summary:?}"
    );
    assert!(
        summary.contains(r"wifi: \u{1b}]0;pwned\u{7}\u{1b}[2JCorp\u{d}error: fake"),
        "{summary}"
    );
}

/// Runs `stagebench args…` under a terminal of its own (`script` makes one), types `line` once
/// the prompt `until` is on screen, and gives everything the terminal showed.
fn at_a_terminal(data: &std::path::Path, args: &str, until: &str, line: &str) -> String {
    at_a_terminal_with(data, &[], args, until, line)
}

/// [`at_a_terminal`] with `env` set for the command too.
fn at_a_terminal_with(
    data: &std::path::Path,
    env: &[(&str, &str)],
    args: &str,
    until: &str,
    line: &str,
) -> String {
    let command = format!("'{}' {args}", built_binary("stagebench").display());
    let mut child = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .envs(env.iter().copied())
        .env("STAGEBENCH_DATA_DIR", data)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("util-linux `script` runs (make deps-test installs it)");
    let mut screen = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel::<Vec<u8>>();
    std::thread::spawn(move || {
        let mut buf = [0u8; 512];
        while let Ok(n) = screen.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                return;
            }
        }
    });
    let started = Instant::now();
    let mut shown = Vec::new();
    while !String::from_utf8_lossy(&shown).contains(until) {
        match rx.recv_timeout(PATIENCE.saturating_sub(started.elapsed())) {
            Ok(chunk) => shown.extend(chunk),
            Err(e) => panic!(
                "no prompt {until:?} ({e}); the terminal showed {:?}",
                String::from_utf8_lossy(&shown)
            ),
        }
    }
    // The prompt is printed a moment before the terminal's echo is turned off; a typist that
    // fast (or a loaded machine) would see the keys echoed by the terminal itself, whatever
    // the program does. Type once the terminal says echo is off, as a person would.
    wait_until_echo_is_off(child.id(), &String::from_utf8_lossy(&shown));
    let mut keys = child.stdin.take().unwrap();
    keys.write_all(format!("{line}\n").as_bytes()).unwrap();
    keys.flush().unwrap();
    // The terminal shows the rest until the command exits.
    while let Ok(chunk) = rx.recv_timeout(PATIENCE.saturating_sub(started.elapsed())) {
        shown.extend(chunk);
    }
    drop(keys);
    let _ = child.wait();
    String::from_utf8_lossy(&shown).into_owned()
}

/// Waits until the terminal `script` gave the command (the pseudo-terminal its child reads
/// from) has echo off, as `stty` reports it.
fn wait_until_echo_is_off(script: u32, shown: &str) {
    let started = Instant::now();
    let mut last = String::from("no child of `script` yet");
    while started.elapsed() < PATIENCE {
        let children = std::fs::read_to_string(format!("/proc/{script}/task/{script}/children"))
            .unwrap_or_default();
        for child in children.split_whitespace() {
            let Ok(tty) = std::fs::read_link(format!("/proc/{child}/fd/0")) else {
                continue;
            };
            let out = Command::new("stty")
                .arg("-F")
                .arg(&tty)
                .arg("-a")
                .output()
                .expect("coreutils `stty` runs");
            last = format!(
                "{}: {}",
                tty.display(),
                String::from_utf8_lossy(&out.stdout)
            );
            if String::from_utf8_lossy(&out.stdout)
                .split_whitespace()
                .any(|flag| flag == "-echo")
            {
                return;
            }
        }
        std::thread::sleep(POLL);
    }
    panic!("the terminal kept echo on after the prompt {shown:?}: {last}");
}

#[test]
fn the_pack_passphrase_is_typed_without_echo() {
    let data = tempfile::tempdir().unwrap();
    let pack = data.path().join("wave.age");
    std::fs::write(&pack, "not a pack\n").unwrap();
    let typed = "correct-horse-battery-staple";
    let screen = at_a_terminal(
        data.path(),
        &format!("batch import-pack '{}'", pack.display()),
        "passphrase:",
        typed,
    );
    assert!(
        screen.contains("not a bench pack"),
        "the command went on after the prompt: {screen:?}"
    );
    assert!(
        !screen.contains(typed),
        "the passphrase was echoed: {screen:?}"
    );
}

#[test]
fn the_client_secret_is_typed_without_echo() {
    let data = tempfile::tempdir().unwrap();
    let typed = "client-secret-typed-at-the-bench";
    // Nothing listens on port 1 of this computer: the sign-in fails at once, after the prompt.
    let screen = at_a_terminal_with(
        data.path(),
        &[("STAGEBENCH_AUTHORITY", "https://127.0.0.1:1")],
        "login --tenant contoso.onmicrosoft.com --client-id 11111111-2222-3333-4444-555555555555 --client-secret-stdin",
        "Client secret:",
        typed,
    );
    let after_prompt = screen.split("Client secret:").nth(1).unwrap_or_default();
    assert!(
        after_prompt.contains("127.0.0.1"),
        "the command went on to the sign-in address after the prompt: {screen:?}"
    );
    assert!(
        !screen.contains(typed),
        "the client secret was echoed: {screen:?}"
    );
}
