//! What a technician confirms by hand about a device, one value for the CLI's `batch mark`, the
//! app's card buttons and the store: the store keeps each as an event kind (plain text); this
//! module is where the kinds and the actions meet. The wire words are the event kinds.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::ids::DeviceId;
use crate::store::{
    Store, StoreError, EVENT_DEM_SIGN_IN, EVENT_POWERED_OFF, EVENT_SERIAL_IMPORTED,
    EVENT_USER_LOGGED_ON,
};

/// A technician's confirmation that moves a device on in its flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "kebab-case")]
pub enum TechnicianAction {
    /// The device is powered off (the end of the bench's stage 2 on Android).
    PoweredOff,
    /// Windows: the serial was imported as a corporate identifier.
    SerialImported,
    /// Windows: the technician signed in at the out-of-box screens with the DEM account.
    DemSignIn,
    /// Windows: the user signed in.
    UserLoggedOn,
}

impl TechnicianAction {
    /// Every action, in the order a device meets them.
    pub const ALL: [TechnicianAction; 4] = [
        TechnicianAction::PoweredOff,
        TechnicianAction::SerialImported,
        TechnicianAction::DemSignIn,
        TechnicianAction::UserLoggedOn,
    ];

    /// The store's event kind for it (also its wire word).
    pub fn event_kind(self) -> &'static str {
        match self {
            TechnicianAction::PoweredOff => EVENT_POWERED_OFF,
            TechnicianAction::SerialImported => EVENT_SERIAL_IMPORTED,
            TechnicianAction::DemSignIn => EVENT_DEM_SIGN_IN,
            TechnicianAction::UserLoggedOn => EVENT_USER_LOGGED_ON,
        }
    }

    /// Records it on `device`, by `technician`.
    pub fn record(
        self,
        store: &mut Store,
        device: DeviceId,
        technician: &str,
    ) -> Result<(), StoreError> {
        store.record_action(device, self.event_kind(), technician)
    }
}

impl fmt::Display for TechnicianAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.event_kind())
    }
}

/// A word that names no technician action.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a technician action: use one of powered-off, serial-imported, dem-sign-in, user-logged-on")]
pub struct UnknownAction(pub String);

impl FromStr for TechnicianAction {
    type Err = UnknownAction;

    fn from_str(word: &str) -> Result<TechnicianAction, UnknownAction> {
        TechnicianAction::ALL
            .into_iter()
            .find(|a| a.event_kind() == word)
            .ok_or_else(|| UnknownAction(word.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_travel_as_their_event_kinds() {
        for action in TechnicianAction::ALL {
            assert_eq!(
                serde_json::to_value(action).unwrap(),
                action.event_kind(),
                "the wire word is the event kind"
            );
            assert_eq!(action.event_kind().parse::<TechnicianAction>(), Ok(action));
        }
        assert_eq!(
            "powered-off".parse::<TechnicianAction>(),
            Ok(TechnicianAction::PoweredOff)
        );
        let err = "rebooted".parse::<TechnicianAction>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "\"rebooted\" is not a technician action: use one of powered-off, serial-imported, dem-sign-in, user-logged-on"
        );
    }
}
