//! Shared pieces of the end-to-end tests: where the built binaries are, where artifacts go,
//! and an independent QR decoder for screenshots and files.
#![warn(missing_docs)]

pub mod webdriver;

use std::path::{Path, PathBuf};

/// A binary built by `cargo build --workspace` (`make test` builds them first).
pub fn built_binary(name: &str) -> PathBuf {
    // The test executable is target/<profile>/deps/<test>-<hash>; binaries are in target/<profile>.
    let exe = std::env::current_exe().expect("the test knows its own path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test binary lives in target/<profile>/deps");
    let path = profile_dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.is_file(),
        "{} is not built: run `make test` (or `cargo build --workspace --all-targets`) first",
        path.display()
    );
    path
}

/// The folder where tests keep screenshots and files for people to look at (`artifacts/<what>`).
pub fn artifacts_dir(what: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("artifacts")
        .join(what);
    std::fs::create_dir_all(&dir).expect("can create the artifacts folder");
    dir
}

/// Decodes every QR code in a PNG with `rqrr` (independent of the encoder we ship).
pub fn decode_qr_png(png: &[u8]) -> Vec<String> {
    let img = image::load_from_memory(png)
        .expect("a valid PNG")
        .to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(img);
    prepared
        .detect_grids()
        .into_iter()
        .filter_map(|g| g.decode().ok().map(|(_, text)| text))
        .collect()
}
