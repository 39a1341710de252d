//! Checks behind `stagebench doctor` for USB: is libusb usable, may this user open USB devices,
//! are Android udev rules installed, is an adb server running (and so holding devices). Each
//! check says what it found and, when something is wrong, the fix. The library does not print.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::server::{AdbError, AdbServer};

use super::rusb_backend::RusbBackend;
use super::UsbBackend as _;

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoctorCheck {
    /// Stable id, e.g. `usb.libusb`.
    pub id: &'static str,
    /// Nothing to do.
    pub ok: bool,
    /// What was found.
    pub message: String,
    /// What to do about it, when something is wrong.
    pub fix: Option<String>,
}

impl DoctorCheck {
    fn ok(id: &'static str, message: impl Into<String>) -> Self {
        Self {
            id,
            ok: true,
            message: message.into(),
            fix: None,
        }
    }

    fn problem(id: &'static str, message: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            id,
            ok: false,
            message: message.into(),
            fix: Some(fix.into()),
        }
    }
}

/// How long the adb server may take to answer.
const SERVER_TIMEOUT: Duration = Duration::from_millis(500);

/// The package with Android's udev rules on Debian and Ubuntu.
const RULES_PACKAGE_FIX: &str = "sudo apt-get install android-sdk-platform-tools-common (installs /lib/udev/rules.d/51-android.rules), or add a line per vendor to /etc/udev/rules.d/51-android.rules such as SUBSYSTEM==\"usb\", ATTR{idVendor}==\"18d1\", MODE=\"0660\", GROUP=\"plugdev\", TAG+=\"uaccess\"; then `sudo udevadm control --reload-rules` and replug the devices";

/// Run every USB check, and the adb-server check against `server`.
pub async fn diagnose(server: &AdbServer) -> Vec<DoctorCheck> {
    let mut checks = vec![tokio::task::spawn_blocking(check_libusb)
        .await
        .unwrap_or_else(|e| {
            DoctorCheck::problem(
                "usb.libusb",
                format!("libusb check crashed: {e}"),
                "report this as a bug",
            )
        })];
    checks.extend(platform_checks());
    checks.push(check_adb_server(server).await);
    checks
}

/// libusb starts and lists devices.
pub fn check_libusb() -> DoctorCheck {
    let id = "usb.libusb";
    let version = rusb::version();
    let version = format!(
        "{}.{}.{}",
        version.major(),
        version.minor(),
        version.micro()
    );
    let backend = match RusbBackend::new() {
        Ok(backend) => backend,
        Err(error) => {
            return DoctorCheck::problem(
                id,
                format!("libusb {version} could not start: {error}"),
                if cfg!(target_os = "linux") {
                    "install libusb-1.0-0 (`sudo apt-get install libusb-1.0-0`) and make sure USB is passed through to this machine"
                } else {
                    "reinstall StageBench; libusb is built into it"
                },
            )
        }
    };
    let hotplug = if backend.has_hotplug() {
        "OS hotplug notifications"
    } else {
        "polling for hotplug"
    };
    match backend.ports() {
        Ok(ports) => DoctorCheck::ok(
            id,
            format!(
                "libusb {version} works and sees {} USB device(s), hubs not counted; {hotplug}",
                ports.len()
            ),
        ),
        Err(error) => DoctorCheck::problem(
            id,
            format!("libusb {version} started but could not list devices: {error}"),
            "check that USB is available to this machine (VMs and containers need USB passed through)",
        ),
    }
}

/// The adb server's state: running is fine (devices it holds are read through it), absent is
/// fine (USB is used directly), something else on its port is a problem.
pub async fn check_adb_server(server: &AdbServer) -> DoctorCheck {
    let id = "usb.adb-server";
    let addr = server.addr();
    let server = server.clone().with_timeout(SERVER_TIMEOUT);
    let version = tokio::time::timeout(SERVER_TIMEOUT * 2, server.version()).await;
    match version {
        Ok(Ok(version)) => {
            let held: Vec<String> = match tokio::time::timeout(SERVER_TIMEOUT * 2, server.devices()).await {
                Ok(Ok(devices)) => devices.into_iter().filter_map(|d| d.usb).collect(),
                _ => Vec::new(),
            };
            let holding = if held.is_empty() {
                "it holds no USB devices now".to_owned()
            } else {
                format!("it holds USB device(s) at {}", held.join(", "))
            };
            DoctorCheck::ok(
                id,
                format!("an adb server (protocol {version}) runs on {addr}; {holding}. Devices it holds are read through it; stop it with `adb kill-server` to use USB directly"),
            )
        }
        Ok(Err(AdbError::ServerUnreachable { .. })) => DoctorCheck::ok(
            id,
            format!("no adb server on {addr}: StageBench talks to USB devices directly"),
        ),
        Ok(Err(error)) => DoctorCheck::problem(
            id,
            format!("something on {addr} does not answer like an adb server: {error}"),
            "restart it with `adb kill-server && adb start-server`, or point ANDROID_ADB_SERVER_PORT at the port your adb server uses",
        ),
        Err(_) => DoctorCheck::problem(
            id,
            format!("{addr} accepted a connection but did not answer `host:version` within {SERVER_TIMEOUT:?}"),
            "restart the adb server with `adb kill-server && adb start-server`, or point ANDROID_ADB_SERVER_PORT at the port your adb server uses",
        ),
    }
}

#[cfg(target_os = "linux")]
fn platform_checks() -> Vec<DoctorCheck> {
    let nodes = list_device_nodes(Path::new("/dev/bus/usb"), Path::new("/sys/bus/usb/devices"));
    let dirs = [
        "/etc/udev/rules.d",
        "/run/udev/rules.d",
        "/lib/udev/rules.d",
        "/usr/lib/udev/rules.d",
    ];
    let dirs: Vec<PathBuf> = dirs.iter().map(PathBuf::from).collect();
    vec![
        check_device_nodes(Path::new("/dev/bus/usb"), nodes.map(|n| open_each(&n))),
        check_udev_rules(&dirs),
    ]
}

#[cfg(not(target_os = "linux"))]
fn platform_checks() -> Vec<DoctorCheck> {
    let os = std::env::consts::OS;
    let mut checks = vec![DoctorCheck::ok(
        "usb.device-nodes",
        format!("device node permissions do not apply on {os}"),
    )];
    checks.push(if cfg!(target_os = "windows") {
        DoctorCheck::ok(
            "usb.udev-rules",
            "udev rules do not apply on Windows; the ADB interface needs a WinUSB driver (Google USB Driver or the maker's): a device missing from StageBench but shown in Device Manager with a warning needs it",
        )
    } else {
        DoctorCheck::ok("usb.udev-rules", format!("udev rules do not apply on {os}"))
    });
    checks
}

/// A USB device node and, when sysfs tells, the device behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceNode {
    /// `/dev/bus/usb/001/004`.
    pub path: PathBuf,
    /// `idVendor`, when known.
    pub vendor_id: Option<u16>,
}

/// Non-hub device nodes under `dev_root` (`/dev/bus/usb`), with vendor ids from `sysfs`
/// (`/sys/bus/usb/devices`). `None` when `dev_root` does not exist.
pub fn list_device_nodes(dev_root: &Path, sysfs: &Path) -> Option<Vec<DeviceNode>> {
    let buses = std::fs::read_dir(dev_root).ok()?;
    let info = sysfs_devices(sysfs);
    let mut nodes = Vec::new();
    for bus in buses.flatten() {
        let Ok(devices) = std::fs::read_dir(bus.path()) else {
            continue;
        };
        for device in devices.flatten() {
            let path = device.path();
            let number = |p: &Path| p.file_name()?.to_str()?.parse::<u16>().ok();
            let key = number(&bus.path()).zip(number(&path));
            let known = key.and_then(|key| info.iter().find(|d| (d.0, d.1) == key));
            if known.is_some_and(|d| d.3) {
                continue; // hubs are root's business
            }
            nodes.push(DeviceNode {
                path,
                vendor_id: known.map(|d| d.2),
            });
        }
    }
    nodes.sort_by(|a, b| a.path.cmp(&b.path));
    Some(nodes)
}

/// `(busnum, devnum, idVendor, is_hub)` of every device in sysfs.
fn sysfs_devices(sysfs: &Path) -> Vec<(u16, u16, u16, bool)> {
    let Ok(entries) = std::fs::read_dir(sysfs) else {
        return Vec::new();
    };
    let read = |dir: &Path, name: &str| std::fs::read_to_string(dir.join(name)).ok();
    entries
        .flatten()
        .filter_map(|entry| {
            let dir = entry.path();
            let bus = read(&dir, "busnum")?.trim().parse().ok()?;
            let dev = read(&dir, "devnum")?.trim().parse().ok()?;
            let vendor = u16::from_str_radix(read(&dir, "idVendor")?.trim(), 16).ok()?;
            let hub = read(&dir, "bDeviceClass").is_some_and(|c| c.trim() == "09");
            Some((bus, dev, vendor, hub))
        })
        .collect()
}

#[cfg(target_os = "linux")]
/// Try to open each node read-write, as libusb does (this honours udev's ACLs too). Nothing
/// is claimed or sent.
fn open_each(nodes: &[DeviceNode]) -> Vec<(DeviceNode, Result<(), std::io::ErrorKind>)> {
    nodes
        .iter()
        .map(|node| {
            let opened = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(&node.path)
                .map(drop)
                .map_err(|e| e.kind());
            (node.clone(), opened)
        })
        .collect()
}

/// Judge the result of opening every USB device node (`None`: `dev_root` is missing).
pub fn check_device_nodes(
    dev_root: &Path,
    opened: Option<Vec<(DeviceNode, Result<(), std::io::ErrorKind>)>>,
) -> DoctorCheck {
    let id = "usb.device-nodes";
    let Some(opened) = opened else {
        return DoctorCheck::problem(
            id,
            format!("{} does not exist: this machine's kernel shows no USB devices (common in containers and VMs)", dev_root.display()),
            "run StageBench on the bench machine itself, or pass USB through (e.g. `docker run --device /dev/bus/usb`, or USB passthrough in the VM settings)",
        );
    };
    let denied: Vec<&DeviceNode> = opened
        .iter()
        .filter(|(_, result)| *result == Err(std::io::ErrorKind::PermissionDenied))
        .map(|(node, _)| node)
        .collect();
    if denied.is_empty() {
        return DoctorCheck::ok(
            id,
            format!(
                "this user may open all {} USB device node(s) under {}",
                opened.len(),
                dev_root.display()
            ),
        );
    }
    let mut vendors: Vec<u16> = denied.iter().filter_map(|n| n.vendor_id).collect();
    vendors.sort_unstable();
    vendors.dedup();
    let examples: Vec<String> = denied
        .iter()
        .take(3)
        .map(|n| match n.vendor_id {
            Some(v) => format!("{} ({v:04x})", n.path.display()),
            None => n.path.display().to_string(),
        })
        .collect();
    let rules: Vec<String> = vendors
        .iter()
        .map(|v| super::descriptor::udev_rule(*v))
        .collect();
    let fix = if rules.is_empty() {
        RULES_PACKAGE_FIX.to_owned()
    } else {
        format!(
            "sudo apt-get install android-sdk-platform-tools-common, or add to /etc/udev/rules.d/51-android.rules:\n{}\nthen `sudo udevadm control --reload-rules` and replug the devices",
            rules.join("\n")
        )
    };
    DoctorCheck::problem(
        id,
        format!(
            "this user may not open {} of {} USB device node(s), e.g. {}; their serials can't be read and ADB over USB can't be used",
            denied.len(),
            opened.len(),
            examples.join(", ")
        ),
        fix,
    )
}

/// Look for Android udev rules (`*android*.rules`) in `dirs`.
pub fn check_udev_rules(dirs: &[PathBuf]) -> DoctorCheck {
    let id = "usb.udev-rules";
    let found: Vec<PathBuf> = dirs
        .iter()
        .filter_map(|dir| std::fs::read_dir(dir).ok())
        .flat_map(|entries| entries.flatten().map(|e| e.path()))
        .filter(|path| {
            path.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.contains("android") && n.ends_with(".rules"))
        })
        .collect();
    if let Some(first) = found.first() {
        DoctorCheck::ok(id, format!("Android udev rules found: {}", first.display()))
    } else {
        let searched: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
        DoctorCheck::problem(
            id,
            format!("no Android udev rules (51-android.rules) in {}: without them only root may open phones", searched.join(", ")),
            RULES_PACKAGE_FIX,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::ErrorKind;

    fn node(path: &str, vendor_id: Option<u16>) -> DeviceNode {
        DeviceNode {
            path: path.into(),
            vendor_id,
        }
    }

    #[test]
    fn missing_dev_root_says_no_usb() {
        let check = check_device_nodes(Path::new("/nonexistent/usb"), None);
        assert!(!check.ok);
        assert!(
            check.message.contains("does not exist"),
            "{}",
            check.message
        );
        assert!(
            list_device_nodes(Path::new("/nonexistent/usb"), Path::new("/nonexistent")).is_none()
        );
    }

    #[test]
    fn denied_nodes_get_udev_rules_for_their_vendors() {
        let opened = vec![
            (
                node("/dev/bus/usb/001/004", Some(0x04e8)),
                Err(ErrorKind::PermissionDenied),
            ),
            (node("/dev/bus/usb/001/005", Some(0x18d1)), Ok(())),
            (
                node("/dev/bus/usb/001/006", Some(0x04e8)),
                Err(ErrorKind::PermissionDenied),
            ),
        ];
        let check = check_device_nodes(Path::new("/dev/bus/usb"), Some(opened));
        assert!(!check.ok);
        assert!(check.message.contains("2 of 3"), "{}", check.message);
        let fix = check.fix.unwrap();
        assert_eq!(fix.matches("idVendor").count(), 1, "{fix}");
        assert!(fix.contains(r#"=="04e8""#), "{fix}");
    }

    #[test]
    fn all_open_is_ok() {
        let opened = vec![(node("/dev/bus/usb/001/005", None), Ok(()))];
        assert!(check_device_nodes(Path::new("/dev/bus/usb"), Some(opened)).ok);
    }

    #[test]
    fn device_nodes_listed_without_hubs() {
        let dir = tempfile::tempdir().unwrap();
        let dev = dir.path().join("dev");
        let sys = dir.path().join("sys");
        std::fs::create_dir_all(dev.join("001")).unwrap();
        std::fs::write(dev.join("001/001"), "").unwrap();
        std::fs::write(dev.join("001/004"), "").unwrap();
        for (name, devnum, vendor, class) in
            [("usb1", "1", "1d6b", "09"), ("1-2", "4", "04e8", "00")]
        {
            let d = sys.join(name);
            std::fs::create_dir_all(&d).unwrap();
            for (file, value) in [
                ("busnum", "1"),
                ("devnum", devnum),
                ("idVendor", vendor),
                ("bDeviceClass", class),
            ] {
                std::fs::write(d.join(file), format!("{value}\n")).unwrap();
            }
        }
        let nodes = list_device_nodes(&dev, &sys).unwrap();
        assert_eq!(
            nodes,
            [node(dev.join("001/004").to_str().unwrap(), Some(0x04e8))]
        );
    }

    #[test]
    fn udev_rules_found_or_fix_given() {
        let dir = tempfile::tempdir().unwrap();
        let dirs = vec![dir.path().to_path_buf(), dir.path().join("missing")];
        let check = check_udev_rules(&dirs);
        assert!(!check.ok);
        assert!(check
            .fix
            .unwrap()
            .contains("android-sdk-platform-tools-common"));
        std::fs::write(dir.path().join("51-android.rules"), "").unwrap();
        let check = check_udev_rules(&dirs);
        assert!(check.ok, "{check:?}");
        assert!(check.message.contains("51-android.rules"));
    }
}
