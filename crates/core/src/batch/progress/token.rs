//! The batch token against now and the batch's due date: usable, expiring soon, expiring
//! before the batch is due (printing blocked), expired or revoked.

use serde::Serialize;
use time::OffsetDateTime;

use crate::batch::Batch;
use crate::remedy::Remedy;
use crate::stage::Flow;

/// How long before expiry a token is flagged (not blocked) while the batch is open.
pub const TOKEN_WARN_DAYS: i64 = 7;

/// Where the batch token stands against now and the batch's due date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "kebab-case")]
pub enum BatchTokenState {
    /// Usable until after the batch is due (or a Windows batch, which has no token).
    Ok,
    /// Usable, but it expires within [`TOKEN_WARN_DAYS`].
    ExpiringSoon,
    /// It expires before the batch is due: printing is blocked.
    ExpiresBeforeDue,
    /// It expired: nothing of the batch may be printed or shown.
    Expired,
    /// It was revoked: nothing of the batch may be printed or shown.
    Revoked,
}

impl BatchTokenState {
    /// The word the wire and the problem ids use (`expires-before-due`).
    pub fn name(self) -> &'static str {
        match self {
            BatchTokenState::Ok => "ok",
            BatchTokenState::ExpiringSoon => "expiring-soon",
            BatchTokenState::ExpiresBeforeDue => "expires-before-due",
            BatchTokenState::Expired => "expired",
            BatchTokenState::Revoked => "revoked",
        }
    }

    /// Whether the token may not be used at all (its QR no longer enrolls, or must not).
    pub fn unusable(self) -> bool {
        matches!(self, BatchTokenState::Expired | BatchTokenState::Revoked)
    }
}

impl std::fmt::Display for BatchTokenState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.name())
    }
}

/// The batch token's state for printing and showing its QR.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct TokenCheck {
    /// When it expires, RFC 3339 (`None`: it does not expire).
    pub expires: Option<String>,
    /// Where it stands.
    pub state: BatchTokenState,
    /// What to tell people, when it is not `ok`.
    pub message: Option<String>,
    /// The next step, when the bench can take one (replace a token that expires too soon).
    pub remedy: Option<Remedy>,
    /// Whether labels and QR codes for this batch must not be printed.
    pub printing_blocked: bool,
}

/// Checks a batch's token against `now` and its due date: a token that expires before the due
/// date warns at creation and blocks printing for the batch; an expired or revoked one blocks
/// everything.
pub fn token_check(batch: &Batch, revoked_at: Option<&str>, now: OffsetDateTime) -> TokenCheck {
    let expires = batch.spec.profile.token_expires;
    let shown = expires.map(crate::clock::timestamp);
    let check = |state: BatchTokenState, message: Option<String>, blocked: bool| TokenCheck {
        expires: shown.clone(),
        state,
        message,
        remedy: None,
        printing_blocked: blocked,
    };
    if batch.spec.profile.flow == Flow::WindowsDem {
        return check(BatchTokenState::Ok, None, false);
    }
    if let Some(at) = revoked_at {
        return check(
            BatchTokenState::Revoked,
            Some(format!("The batch's token was revoked ({at}): nothing of this batch may be printed or shown. Ask the admin for a new token and a new bench pack.")),
            true,
        );
    }
    let Some(expires) = expires else {
        return check(BatchTokenState::Ok, None, false);
    };
    let day = |t: OffsetDateTime| t.date().to_string();
    if expires <= now {
        return check(
            BatchTokenState::Expired,
            Some(format!("The batch's token expired on {}: its QR no longer enrolls. Ask the admin to replace the token and send a new bench pack.", day(expires))),
            true,
        );
    }
    if let Some(due) = batch.spec.due {
        let end_of_due = due
            .with_hms(23, 59, 59)
            .map(|d| d.assume_utc())
            .unwrap_or(expires);
        if expires < end_of_due {
            let profile = batch.spec.profile.profile_name.clone();
            return TokenCheck {
                remedy: Some(Remedy::ReplaceToken {
                    profile: profile.clone(),
                }),
                ..check(
                    BatchTokenState::ExpiresBeforeDue,
                    Some(format!(
                        "The token expires on {}, before the batch is due ({due}): replace the token of profile \"{profile}\" or move the due date. Printing is blocked for this batch.",
                        day(expires)
                    )),
                    true,
                )
            };
        }
    }
    if expires - now < time::Duration::days(TOKEN_WARN_DAYS) {
        let hours = (expires - now).whole_hours();
        return check(
            BatchTokenState::ExpiringSoon,
            Some(format!(
                "The token expires in {hours} h ({}).",
                day(expires)
            )),
            false,
        );
    }
    check(BatchTokenState::Ok, None, false)
}
