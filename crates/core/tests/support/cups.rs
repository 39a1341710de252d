//! A private `cupsd` for the printing tests: its own config, spool, cache, state and logs in a
//! temporary folder, listening on a free port of 127.0.0.1, with one cups-pdf queue added
//! through `lpadmin -h`. Nothing of the machine's own CUPS is touched.
//!
//! One thing cannot be private: cups-pdf reads its settings only from /etc/cups (a per-queue
//! `cups-pdf-QUEUE.conf` there is read, but its `Out` and `AnonDirName` are ignored), so the
//! PDF lands in cups-pdf's anonymous folder (`AnonDirName` of /etc/cups/cups-pdf.conf, by
//! default /var/spool/cups-pdf/ANONYMOUS). Jobs are submitted as a user that does not exist so
//! they go there, titled uniquely so a test finds its own file; the test deletes it.
//!
//! cupsd runs its filters as `lp`, so the temporary folder is made world-traversable. Needs
//! root (cupsd runs the cups-pdf backend as root only when started as root); [`Cups::start`]
//! says why it cannot run otherwise and the tests skip.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running private cupsd with a cups-pdf queue.
pub struct Cups {
    child: Child,
    dir: tempfile::TempDir,
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// The cups-pdf queue's name.
    pub queue: String,
}

impl Cups {
    /// Starts cupsd and adds the queue; `Err` says why this machine cannot (not root, CUPS or
    /// cups-pdf missing).
    pub fn start() -> Result<Cups, String> {
        let uid = Command::new("id")
            .arg("-u")
            .output()
            .map_err(|e| format!("id -u: {e}"))?;
        if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
            return Err(
                "not root: cupsd runs the cups-pdf backend only when started as root".into(),
            );
        }
        for tool in [
            "/usr/sbin/cupsd",
            "/usr/sbin/lpadmin",
            "/usr/lib/cups/backend/cups-pdf",
        ] {
            if !Path::new(tool).exists() {
                return Err(format!(
                    "{tool} missing: install cups and printer-driver-cups-pdf (make deps-test)"
                ));
            }
        }
        let dir = tempfile::Builder::new()
            .prefix("stagebench-cups")
            .tempdir()
            .map_err(|e| e.to_string())?;
        let root = dir.path();
        for sub in ["conf/ppd", "spool/tmp", "cache", "state", "log"] {
            std::fs::create_dir_all(root.join(sub)).map_err(|e| e.to_string())?;
        }
        set_mode(root, 0o755);
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let conf = root.join("conf");
        std::fs::write(
            conf.join("cupsd.conf"),
            format!(
                "Listen 127.0.0.1:{port}\nLogLevel info\nBrowsing Off\nWebInterface No\nDefaultAuthType None\n\
                 <Location />\n  Order allow,deny\n  Allow all\n</Location>\n\
                 <Location /admin>\n  Order allow,deny\n  Allow all\n</Location>\n\
                 <Policy default>\n  <Limit All>\n    Order deny,allow\n  </Limit>\n</Policy>\n"
            ),
        )
        .map_err(|e| e.to_string())?;
        let d = root.display();
        std::fs::write(
            conf.join("cups-files.conf"),
            format!(
                "ServerRoot {d}/conf\nRequestRoot {d}/spool\nTempDir {d}/spool/tmp\nCacheDir {d}/cache\n\
                 StateDir {d}/state\nErrorLog {d}/log/error_log\nAccessLog {d}/log/access_log\n\
                 PageLog {d}/log/page_log\nSystemGroup root\nUser lp\nGroup lp\n"
            ),
        )
        .map_err(|e| e.to_string())?;
        let child = Command::new("/usr/sbin/cupsd")
            .arg("-f")
            .arg("-c")
            .arg(conf.join("cupsd.conf"))
            .arg("-s")
            .arg(conf.join("cups-files.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cupsd: {e}"))?;
        let queue = format!("SBTEST{port}");
        let cups = Cups {
            child,
            dir,
            port,
            queue,
        };
        let deadline = Instant::now() + Duration::from_secs(15);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                return Err(format!(
                    "cupsd did not listen on {port}; see {}",
                    cups.log().display()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let added = Command::new("/usr/sbin/lpadmin")
            .args([
                "-h",
                &format!("127.0.0.1:{port}"),
                "-p",
                &cups.queue,
                "-E",
                "-v",
                "cups-pdf:/",
            ])
            .args(["-m", "lsb/usr/cups-pdf/CUPS-PDF_opt.ppd"])
            .output()
            .map_err(|e| format!("lpadmin: {e}"))?;
        if !added.status.success() {
            return Err(format!(
                "lpadmin failed: {}",
                String::from_utf8_lossy(&added.stderr)
            ));
        }
        Ok(cups)
    }

    /// `ipp://127.0.0.1:PORT/`.
    pub fn server_uri(&self) -> String {
        format!("ipp://127.0.0.1:{}/", self.port)
    }

    /// The queue's URI.
    pub fn printer_uri(&self) -> String {
        format!("ipp://127.0.0.1:{}/printers/{}", self.port, self.queue)
    }

    /// cupsd's error log (job details at LogLevel info).
    pub fn log(&self) -> PathBuf {
        self.dir.path().join("log/error_log")
    }

    /// Where cups-pdf writes jobs of unknown users.
    pub fn output_dir() -> PathBuf {
        let conf = std::fs::read_to_string("/etc/cups/cups-pdf.conf").unwrap_or_default();
        conf.lines()
            .filter_map(|l| l.trim().strip_prefix("AnonDirName"))
            .map(|v| PathBuf::from(v.trim()))
            .next_back()
            .unwrap_or_else(|| PathBuf::from("/var/spool/cups-pdf/ANONYMOUS"))
    }

    /// Waits for the PDF whose name contains `tag` (lowercase letters and digits) and returns
    /// its path.
    pub fn wait_for_output(&self, tag: &str, timeout: Duration) -> Option<PathBuf> {
        let deadline = Instant::now() + timeout;
        loop {
            let found = std::fs::read_dir(Cups::output_dir())
                .ok()
                .and_then(|entries| {
                    entries.filter_map(Result::ok).map(|e| e.path()).find(|p| {
                        p.file_name()
                            .is_some_and(|n| n.to_string_lossy().contains(tag))
                    })
                });
            if let Some(path) = found {
                // cups-pdf renames the finished file into place, so it is complete once seen.
                return Some(path);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Cups {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode));
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32) {}
