//! The demo bench's remote control: what a running simulated bench (the `testing` feature's
//! `DemoBench`) tells the data folder about itself, the words its devices are described in, and
//! the client the CLI and the app drive it with.
//!
//! The simulator listens on 127.0.0.1 only and writes [`CONTROL_FILE`] (owner-only: address and
//! a random token) into the data folder it watches; a client reads the file, connects, sends one
//! JSON request line with the token and reads one JSON reply. Only someone who can read the data
//! folder can drive the bench, and a bench with no simulator has no control file: that is how
//! the app knows it is a demo.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The control file a running simulator keeps in the data folder.
pub const CONTROL_FILE: &str = "simulator-control.json";

/// The longest control file or reply read.
const MOST: u64 = 1 << 20;

/// How long a request may take before the simulator counts as gone.
const ANSWER_WITHIN: Duration = Duration::from_secs(10);

/// Where a simulated device is in its life on the demo bench, in the order it gets there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "kebab-case")]
pub enum DemoPhase {
    /// USB debugging is off: adb cannot see it (on a real USB bus it would be an `adb-off` card).
    UsbDebuggingOff,
    /// Out of the box, in the setup wizard, waiting for the QR.
    Fresh,
    /// It scanned the QR and is downloading Android Device Policy.
    Provisioning,
    /// Provisioned, with Intune's agent as device owner (the bench's Enrolling).
    DeviceOwner,
    /// Setup finished; it waits at the sign-in screen to be powered off.
    SetupDone,
    /// Powered off (it left ADB); Intune will show it soon.
    PoweredOff,
    /// Intune shows it (`Staging_<serial>_…`, or AOSP userless for RealWear).
    InIntune,
    /// Its user signed in.
    UserSignedIn,
}

/// What a demo control does to a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "kebab-case")]
pub enum DemoAction {
    /// Plug its cable back in.
    Plug,
    /// Pull its cable.
    Unplug,
    /// Take its next step now.
    Advance,
    /// Make it go wrong ([`DemoFailure`]).
    Fail,
    /// Tap "Allow" on its "Allow USB debugging?" prompt.
    Allow,
    /// Power it on again after it was powered off (it boots to the sign-in screen, back on adb).
    PowerOn,
}

/// How a device goes wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "kebab-case")]
pub enum DemoFailure {
    /// It restarts (its boot count goes up) — during enrollment, a problem the card names.
    Reboot,
    /// It stops moving on (and ignores the bench: QR, Powered off) until advanced.
    Stuck,
}

/// One simulated device as the demo controls show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct DemoDevice {
    /// Its number on the simulated bench (1, 2, …).
    pub number: u32,
    /// `ro.serialno`.
    pub serial: String,
    /// Maker.
    pub manufacturer: String,
    /// Model.
    pub model: String,
    /// Its adb address (the bench slot of a TCP device).
    pub addr: String,
    /// Its cable is in.
    pub plugged: bool,
    /// It is switched on (off once powered off, until powered on again).
    pub powered: bool,
    /// adb can talk to it now (plugged, switched on, USB debugging on).
    pub on_adb: bool,
    /// It waits for "Allow USB debugging?".
    pub awaiting_allow: bool,
    /// It stopped moving on (a `stuck` failure).
    pub stuck: bool,
    /// Where it is.
    pub phase: DemoPhase,
    /// What it is doing, in words.
    pub doing: String,
    /// The controls that do something now.
    pub actions: Vec<DemoAction>,
    /// The ways [`DemoAction::Fail`] can make it go wrong now.
    pub failures: Vec<DemoFailure>,
}

/// A request to the simulator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "kebab-case")]
pub enum DemoCommand {
    /// The devices.
    List,
    /// A control on device `device`.
    Act {
        /// The device's number.
        device: u32,
        /// What to do.
        action: DemoAction,
        /// For [`DemoAction::Fail`]: how (the simulator picks when `None`).
        #[serde(default)]
        failure: Option<DemoFailure>,
    },
}

/// One request line: the token from the control file and the command.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DemoRequest {
    /// The control file's token.
    pub token: String,
    /// What to do.
    #[serde(flatten)]
    pub command: DemoCommand,
}

/// One reply line: the devices after the command, or why it was refused.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum DemoReply {
    /// Done; the devices now.
    Devices(Vec<DemoDevice>),
    /// Refused, and why.
    Refused(String),
}

/// What the control file says.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ControlFile {
    /// Where the simulator listens (127.0.0.1).
    pub addr: SocketAddr,
    /// The token a request must carry.
    pub token: String,
    /// The simulator's process id.
    pub pid: u32,
    /// The environment that points the CLI and the app at the simulator's fake tenant, when it
    /// runs one (`STAGEBENCH_AUTHORITY`, `STAGEBENCH_GRAPH_URL`, …).
    #[serde(default)]
    pub env: std::collections::BTreeMap<String, String>,
}

/// Why a demo control did not work.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The control file is missing, unreadable or open to others.
    #[error("the simulated bench's control file {} {problem}", path.display())]
    ControlFile {
        /// The file.
        path: PathBuf,
        /// What is wrong and what to do.
        problem: String,
    },
    /// The simulator did not answer.
    #[error("the simulated bench at {addr} did not answer ({problem}): it has stopped; start the demo again")]
    Gone {
        /// Where it should listen.
        addr: SocketAddr,
        /// What happened.
        problem: String,
    },
    /// The simulator refused the request.
    #[error("{0}")]
    Refused(String),
}

/// A client for the simulator that watches a data folder.
#[derive(Debug, Clone)]
pub struct DemoControl {
    file: ControlFile,
}

impl DemoControl {
    /// The simulator that watches `data_dir`, or `None` when none wrote its control file there.
    pub fn find(data_dir: &Path) -> Result<Option<DemoControl>, DemoError> {
        let path = data_dir.join(CONTROL_FILE);
        if !path.exists() {
            return Ok(None);
        }
        let problem = |problem: String| DemoError::ControlFile {
            path: path.clone(),
            problem,
        };
        if let Some(loose) = stagebench_files::looseness(&path) {
            return Err(problem(format!(
                "is open to others ({loose}): delete it and start the demo again"
            )));
        }
        let bytes = stagebench_files::read_at_most(&path, MOST)
            .map_err(|e| problem(format!("can't be read ({e}): start the demo again")))?;
        let file = serde_json::from_slice(&bytes)
            .map_err(|e| problem(format!("is not a control file ({e}): start the demo again")))?;
        Ok(Some(DemoControl { file }))
    }

    /// Where the simulator listens.
    pub fn addr(&self) -> SocketAddr {
        self.file.addr
    }

    /// The environment for its fake tenant (empty without one).
    pub fn env(&self) -> &std::collections::BTreeMap<String, String> {
        &self.file.env
    }

    /// The simulated devices.
    pub async fn list(&self) -> Result<Vec<DemoDevice>, DemoError> {
        self.send(DemoCommand::List).await
    }

    /// Does `action` to device `device`; the devices after it.
    pub async fn act(
        &self,
        device: u32,
        action: DemoAction,
        failure: Option<DemoFailure>,
    ) -> Result<Vec<DemoDevice>, DemoError> {
        self.send(DemoCommand::Act {
            device,
            action,
            failure,
        })
        .await
    }

    async fn send(&self, command: DemoCommand) -> Result<Vec<DemoDevice>, DemoError> {
        let addr = self.file.addr;
        let gone = |problem: String| DemoError::Gone { addr, problem };
        let request = DemoRequest {
            token: self.file.token.clone(),
            command,
        };
        let exchange = async {
            let mut stream = tokio::net::TcpStream::connect(addr).await?;
            let mut line = serde_json::to_vec(&request).map_err(std::io::Error::other)?;
            line.push(b'\n');
            stream.write_all(&line).await?;
            stream.shutdown().await?;
            let mut reply = Vec::new();
            stream.take(MOST).read_to_end(&mut reply).await?;
            Ok::<_, std::io::Error>(reply)
        };
        let reply = tokio::time::timeout(ANSWER_WITHIN, exchange)
            .await
            .map_err(|_| gone(format!("no answer within {} s", ANSWER_WITHIN.as_secs())))?
            .map_err(|e| gone(e.to_string()))?;
        match serde_json::from_slice(&reply).map_err(|e| gone(format!("unreadable reply: {e}")))? {
            DemoReply::Devices(devices) => Ok(devices),
            DemoReply::Refused(why) => Err(DemoError::Refused(why)),
        }
    }
}
