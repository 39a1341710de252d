//! The demo bench's control endpoint: 127.0.0.1 only, one JSON request line per connection,
//! answered with the devices or why not; its address and a random token go to an owner-only
//! control file in the data folder ([`crate::demo`] is the client), removed when the bench
//! stops.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rand::RngCore;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use super::{describe, life, tenant_env, Shared};
use crate::demo::{ControlFile, DemoCommand, DemoReply, DemoRequest, CONTROL_FILE};

/// The longest request line read.
const MOST: u64 = 64 * 1024;

/// The running endpoint; dropping it removes its control file (if it is still this one's).
pub(super) struct ControlEndpoint {
    file: PathBuf,
    token: String,
}

impl ControlEndpoint {
    /// Listens on 127.0.0.1 and writes the control file into `data_dir`.
    pub(super) async fn start(
        data_dir: &Path,
        shared: Arc<Shared>,
    ) -> std::io::Result<(ControlEndpoint, JoinHandle<()>)> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr: SocketAddr = listener.local_addr()?;
        let mut bytes = [0u8; 16];
        rand::thread_rng().fill_bytes(&mut bytes);
        let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let contents = ControlFile {
            addr,
            token: token.clone(),
            pid: std::process::id(),
            env: match &shared.tenant {
                Some(fake) => tenant_env(fake)
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v))
                    .collect(),
                None => Default::default(),
            },
        };
        let file = data_dir.join(CONTROL_FILE);
        let json = serde_json::to_vec_pretty(&contents).map_err(std::io::Error::other)?;
        stagebench_files::create_private_dir(data_dir).map_err(|e| e.source)?;
        stagebench_files::write_private(&file, &json).map_err(|e| e.source)?;
        let serving = token.clone();
        let task = tokio::spawn(async move {
            loop {
                if let Ok((stream, _)) = listener.accept().await {
                    let (shared, token) = (shared.clone(), serving.clone());
                    tokio::spawn(async move { serve(stream, &shared, &token).await });
                }
            }
        });
        Ok((ControlEndpoint { file, token }, task))
    }

    /// Where the control file is.
    pub(super) fn file(&self) -> &Path {
        &self.file
    }
}

impl Drop for ControlEndpoint {
    fn drop(&mut self) {
        let ours = std::fs::read(&self.file)
            .ok()
            .and_then(|b| serde_json::from_slice::<ControlFile>(&b).ok())
            .is_some_and(|f| f.token == self.token);
        if ours {
            let _ = std::fs::remove_file(&self.file);
        }
    }
}

async fn serve(stream: TcpStream, shared: &Shared, token: &str) {
    let (read, mut write) = stream.into_split();
    let mut line = String::new();
    let reply = match BufReader::new(tokio::io::AsyncReadExt::take(read, MOST))
        .read_line(&mut line)
        .await
    {
        Err(e) => DemoReply::Refused(format!("unreadable request: {e}")),
        Ok(_) => match serde_json::from_str::<DemoRequest>(&line) {
            Err(e) => DemoReply::Refused(format!("not a demo control request: {e}")),
            Ok(request) if !same(&request.token, token) => DemoReply::Refused(
                "wrong token: read it from the control file in the bench's data folder".into(),
            ),
            Ok(request) => match request.command {
                DemoCommand::List => DemoReply::Devices(describe(&shared.slots.lock().await)),
                DemoCommand::Act {
                    device,
                    action,
                    failure,
                } => match life::act(shared, device, action, failure).await {
                    Ok(devices) => DemoReply::Devices(devices),
                    Err(why) => DemoReply::Refused(why),
                },
            },
        },
    };
    if let Ok(mut bytes) = serde_json::to_vec(&reply) {
        bytes.push(b'\n');
        let _ = write.write_all(&bytes).await;
        let _ = write.shutdown().await;
    }
}

/// Compares tokens without stopping at the first difference.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}
