//! The CLI's words for the core's remedies: each next step a core error (or instruction) names
//! as a [`Remedy`] becomes the command line that takes it. The core says "sign in again"; here
//! that is "run `stagebench login`". Every error the CLI reports goes through [`report`], which
//! finds the remedy by the error's type (never by its text).

use std::fmt;
use std::io::Write;

use serde::Serialize;
use stagebench_core::batch::exchange::ExchangeError;
use stagebench_core::batch::ops::NewBatchError;
use stagebench_core::intune::graph::GraphError;
use stagebench_core::intune::sync::SyncError;
use stagebench_core::intune::SignInError;
use stagebench_core::label::{LabelError, LabelRequestError};
use stagebench_core::printer::PrintError;
use stagebench_core::remedy::{HasRemedy, Remedy};
use stagebench_core::store::{BatchStoreError, PrintJobError, SlotError};

/// The usage of `stagebench printers add`, for the remedies that add or fix a printer.
const PRINTERS_ADD: &str = "--ipp URL | --raw HOST:PORT | --serial PATH --baud N";

/// The command line (with a few words around it) that takes `remedy`.
pub fn command(remedy: &Remedy) -> String {
    match remedy {
        Remedy::SignIn | Remedy::SignInAgain { .. } => "run `stagebench login`".into(),
        Remedy::AddPrinter { name } => {
            format!("add it with `stagebench printers add {name} {PRINTERS_ADD}`")
        }
        Remedy::PickPrinter => format!(
            "`stagebench printers` lists them, `stagebench printers add NAME {PRINTERS_ADD}` adds one"
        ),
        Remedy::CheckPrinter { name } => format!(
            "`stagebench printers` lists the print server's printers and the serial ports; \
             `stagebench printers add {name} {PRINTERS_ADD}` saves it with a new address"
        ),
        Remedy::RetryPrintJob { job } => format!("`stagebench print-queue retry {}`", job.0),
        Remedy::ListPrintJobs => "`stagebench print-queue` lists them".into(),
        Remedy::FreeSlot { number } => format!("`stagebench slots free {number}`"),
        Remedy::UseSlot { number } => {
            format!("slot {number} is free: `stagebench slots assign PORT {number}`")
        }
        Remedy::PickBatch => "`stagebench batch list` shows the batches here".into(),
        Remedy::ImportBenchPack { batch } => format!(
            "`stagebench batch import-pack FILE` with the pack of batch {}",
            batch.short()
        ),
        Remedy::ReplaceToken { profile } => {
            format!("`stagebench profiles token create \"{profile}\" --days N`")
        }
        Remedy::PickTemplate { .. } => {
            "`stagebench labels render --list-templates` lists the templates".into()
        }
        Remedy::ReassignPrimaryUser => {
            "`stagebench primary-user reassign --dem UPN --serial SERIAL`".into()
        }
        Remedy::AcceptUsbPrompt => {
            "on the device's screen, allow USB debugging; then `stagebench devices` reads it".into()
        }
        Remedy::AcceptVendorKey { fingerprint } => format!(
            "if it matches, `stagebench batch import-report FILE --accept-key {fingerprint}`"
        ),
    }
}

/// An error the CLI makes itself, with the step that fixes it.
#[derive(Debug)]
pub struct WithRemedy {
    /// What went wrong.
    pub message: String,
    /// What to do.
    pub remedy: Remedy,
}

impl fmt::Display for WithRemedy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for WithRemedy {}

/// `message`, failing with `remedy` when there is one.
pub fn error(message: String, remedy: Option<Remedy>) -> anyhow::Error {
    match remedy {
        Some(remedy) => WithRemedy { message, remedy }.into(),
        None => anyhow::Error::msg(message),
    }
}

/// The remedy of the first error in `e`'s chain that names one, asked by its type.
pub fn of_error(e: &anyhow::Error) -> Option<Remedy> {
    fn of<T: HasRemedy + std::error::Error + 'static>(
        cause: &(dyn std::error::Error + 'static),
    ) -> Option<Option<Remedy>> {
        cause.downcast_ref::<T>().map(HasRemedy::remedy)
    }
    e.chain().find_map(|cause| {
        if let Some(own) = cause.downcast_ref::<WithRemedy>() {
            return Some(own.remedy.clone());
        }
        of::<SignInError>(cause)
            .or_else(|| of::<GraphError>(cause))
            .or_else(|| of::<SyncError>(cause))
            .or_else(|| of::<SlotError>(cause))
            .or_else(|| of::<BatchStoreError>(cause))
            .or_else(|| of::<NewBatchError>(cause))
            .or_else(|| of::<PrintJobError>(cause))
            .or_else(|| of::<PrintError>(cause))
            .or_else(|| of::<LabelError>(cause))
            .or_else(|| of::<LabelRequestError>(cause))
            .or_else(|| of::<ExchangeError>(cause))
            .flatten()
    })
}

/// An error as `--json` prints it.
#[derive(Debug, Serialize)]
pub struct JsonError {
    /// What went wrong, with its causes.
    pub error: String,
    /// The next step as data, when the core named one.
    pub remedy: Option<Remedy>,
    /// That step as this CLI's command line.
    pub hint: Option<String>,
}

impl JsonError {
    /// `e` with its remedy.
    pub fn of(e: &anyhow::Error) -> JsonError {
        let remedy = of_error(e);
        JsonError {
            error: format!("{e:#}"),
            hint: remedy.as_ref().map(command),
            remedy,
        }
    }
}

/// Reports a failed command: `error: …` and, when the core named a next step, `hint: <command>`
/// on `err`; with `--json` also the error, its remedy and the hint as one JSON object on `out`.
pub fn report(e: &anyhow::Error, json: bool, out: &mut dyn Write, err: &mut dyn Write) {
    let shown = JsonError::of(e);
    // An error may quote a device's, a file's or Intune's text: each line escaped.
    let safe = |text: &str| {
        text.split('\n')
            .map(|line| crate::cmd::shown(line).into_owned())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let _ = writeln!(err, "error: {}", safe(&shown.error));
    if let Some(hint) = &shown.hint {
        let _ = writeln!(err, "hint: {}", safe(hint));
    }
    if json {
        let _ = serde_json::to_writer(&mut *out, &shown);
        let _ = writeln!(out);
    }
}

#[cfg(test)]
mod tests {
    use stagebench_core::ids::{BatchId, PrintJobId};

    use super::*;

    fn reported(e: anyhow::Error, json: bool) -> (String, String) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        report(&e, json, &mut out, &mut err);
        (
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    #[test]
    fn core_errors_get_their_command_lines_found_by_type() {
        let (out, err) = reported(SignInError::NotSignedIn.into(), false);
        assert_eq!(
            err,
            "error: not signed in to a tenant: sign in first\nhint: run `stagebench login`\n"
        );
        assert!(out.is_empty());
        let wrapped = anyhow::Error::from(GraphError::auth(
            "enrollment profiles",
            SignInError::SignInAgain {
                account: "tech@contoso.com".into(),
                reason: "invalid_grant".into(),
            },
        ))
        .context("listing profiles");
        assert_eq!(
            of_error(&wrapped),
            Some(Remedy::SignInAgain {
                account: "tech@contoso.com".into()
            })
        );
        let (_, err) = reported(wrapped, false);
        assert!(err.ends_with("hint: run `stagebench login`\n"), "{err}");
        let (_, err) = reported(
            SlotError::NumberTaken {
                number: 7,
                port_path: "1-4.3".into(),
            }
            .into(),
            false,
        );
        assert!(err.contains("hint: `stagebench slots free 7`"), "{err}");
        let (_, err) = reported(anyhow::anyhow!("no remedy here"), false);
        assert_eq!(err, "error: no remedy here\n");
    }

    #[test]
    fn json_gets_the_remedy_as_data_and_the_command() {
        let e = error(
            "job #12 failed: out of labels".into(),
            Some(Remedy::RetryPrintJob {
                job: PrintJobId(12),
            }),
        );
        let (out, err) = reported(e, true);
        assert!(
            err.contains("hint: `stagebench print-queue retry 12`"),
            "{err}"
        );
        let json: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "error": "job #12 failed: out of labels",
                "remedy": {"step": "retry-print-job", "job": 12},
                "hint": "`stagebench print-queue retry 12`",
            })
        );
        let (out, _) = reported(anyhow::anyhow!("plain"), true);
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&out).unwrap(),
            serde_json::json!({"error": "plain", "remedy": null, "hint": null})
        );
    }

    #[test]
    fn every_remedy_has_a_command_line() {
        let batch = BatchId::try_from("0123456789abcdef0123456789abcdef".to_owned()).unwrap();
        for (remedy, words) in [
            (
                Remedy::AddPrinter {
                    name: "zebra".into(),
                },
                "`stagebench printers add zebra --ipp URL",
            ),
            (Remedy::PickBatch, "`stagebench batch list`"),
            (
                Remedy::ImportBenchPack { batch },
                "`stagebench batch import-pack FILE` with the pack of batch 01234567",
            ),
            (
                Remedy::ReplaceToken {
                    profile: "COPE pilot".into(),
                },
                "`stagebench profiles token create \"COPE pilot\" --days N`",
            ),
            (
                Remedy::PickTemplate {
                    kind: "device".into(),
                },
                "--list-templates",
            ),
            (
                Remedy::ReassignPrimaryUser,
                "`stagebench primary-user reassign",
            ),
        ] {
            let line = command(&remedy);
            assert!(line.contains(words), "{remedy:?}: {line}");
        }
    }
}
