//! The ground floor's next steps: what an error or a technician's instruction names, as a
//! value: sign in again, add a printer named X, retry print job N. Core messages say the step in
//! the domain's words; each front end words the value its own way — the CLI as a command line,
//! the app as a button or the screen to go to (STYLE.md 16). Only steps that some error or instruction needs are here.

use std::fmt;

use serde::Serialize;

use crate::ids::{BatchId, PrintJobId};

/// A next step the core knows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(tag = "step", rename_all = "kebab-case")]
pub enum Remedy {
    /// Sign the bench in to its tenant (nobody is signed in, or a sign-in did not complete).
    SignIn,
    /// Sign in again: the tenant no longer accepts the sign-in of `account`.
    SignInAgain {
        /// Who was signed in (UPN or client id).
        account: String,
    },
    /// Add a printer named `name` to the bench (or save it again with a working address).
    AddPrinter {
        /// The printer's name, as jobs and requests give it.
        name: String,
    },
    /// Pick one of the bench's printers (or add one).
    PickPrinter,
    /// Check printer `name`'s address against the print server's printers or the serial ports,
    /// and save it again with the right one.
    CheckPrinter {
        /// The printer's name.
        name: String,
    },
    /// Put failed print job `job` back in line.
    RetryPrintJob {
        /// The job.
        #[ts(type = "number")]
        job: PrintJobId,
    },
    /// Look at the print queue's jobs.
    ListPrintJobs,
    /// Free slot `number`, so its number or its port can be given again.
    FreeSlot {
        /// The slot's number.
        number: u32,
    },
    /// Use slot `number` instead: it is free.
    UseSlot {
        /// The free slot's number.
        number: u32,
    },
    /// Pick one of the batches on this bench.
    PickBatch,
    /// Import batch `batch`'s bench pack again (it brings the batch's enrollment QR).
    ImportBenchPack {
        /// The batch.
        batch: BatchId,
    },
    /// Replace the token of the enrollment profile named `profile`.
    ReplaceToken {
        /// The profile's name.
        profile: String,
    },
    /// Pick a label template of kind `kind` (`enrollment`, `device`, `box`).
    PickTemplate {
        /// The label kind the template must be for.
        kind: String,
    },
    /// Make the user who signed in the primary user of a device enrolled with a DEM account.
    ReassignPrimaryUser,
    /// Accept the "Allow USB debugging?" prompt on the device.
    AcceptUsbPrompt,
    /// Trust the vendor bench key with this fingerprint for a batch's reports, after comparing
    /// it with the one the vendor's bench shows.
    AcceptVendorKey {
        /// The key's fingerprint (`SHA256:…`).
        fingerprint: String,
    },
}

impl fmt::Display for Remedy {
    /// The step in the domain's words, without any front end's ("sign in again as ana@…").
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Remedy::SignIn => f.write_str("sign in to the tenant"),
            Remedy::SignInAgain { account } => write!(f, "sign in again as {account}"),
            Remedy::AddPrinter { name } => write!(f, "add a printer named {name}"),
            Remedy::PickPrinter => f.write_str("pick one of the bench's printers, or add one"),
            Remedy::CheckPrinter { name } => write!(f, "check the address of printer {name}"),
            Remedy::RetryPrintJob { job } => write!(f, "retry print job {}", job.0),
            Remedy::ListPrintJobs => f.write_str("look the job up in the print queue"),
            Remedy::FreeSlot { number } => write!(f, "free slot {number}"),
            Remedy::UseSlot { number } => write!(f, "use slot {number}, which is free"),
            Remedy::PickBatch => f.write_str("pick one of the batches on this bench"),
            Remedy::ImportBenchPack { batch } => {
                write!(f, "import the bench pack of batch {} again", batch.short())
            }
            Remedy::ReplaceToken { profile } => {
                write!(f, "replace the token of profile \"{profile}\"")
            }
            Remedy::PickTemplate { kind } => write!(f, "pick a {kind} template"),
            Remedy::ReassignPrimaryUser => {
                f.write_str("make the user who signed in the primary user")
            }
            Remedy::AcceptUsbPrompt => f.write_str("accept the USB debugging prompt on the device"),
            Remedy::AcceptVendorKey { fingerprint } => {
                write!(
                    f,
                    "accept vendor bench key {fingerprint} once it matches the vendor's"
                )
            }
        }
    }
}

/// An error (or any outcome) that may name its next step. Wrappers ask what they wrap, so a
/// front end asks the outermost error it holds.
pub trait HasRemedy {
    /// The next step, when the core knows one.
    fn remedy(&self) -> Option<Remedy>;
}

impl<T: HasRemedy + ?Sized> HasRemedy for std::sync::Arc<T> {
    fn remedy(&self) -> Option<Remedy> {
        (**self).remedy()
    }
}

impl<T: HasRemedy + ?Sized> HasRemedy for Box<T> {
    fn remedy(&self) -> Option<Remedy> {
        (**self).remedy()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remedies_are_tagged_data_and_say_the_step_in_domain_words() {
        let retry = Remedy::RetryPrintJob {
            job: PrintJobId(12),
        };
        assert_eq!(
            serde_json::to_value(&retry).unwrap(),
            serde_json::json!({"step": "retry-print-job", "job": 12})
        );
        assert_eq!(
            serde_json::to_value(Remedy::SignIn).unwrap(),
            serde_json::json!({"step": "sign-in"})
        );
        assert_eq!(retry.to_string(), "retry print job 12");
        assert_eq!(
            Remedy::AddPrinter {
                name: "zebra".into()
            }
            .to_string(),
            "add a printer named zebra"
        );
        assert_eq!(
            Remedy::SignInAgain {
                account: "tech@contoso.com".into()
            }
            .to_string(),
            "sign in again as tech@contoso.com"
        );
    }
}
