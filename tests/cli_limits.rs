//! Files past the bench's limits, refused by the CLI by their length before a byte is read: a
//! 400 MB "report" and a 400 MB "pack" (sparse files: they take no disk) fail at once with the
//! file, its size, the limit and the next step, and nothing is imported. Before the limits the
//! report was read whole (800 MB of memory before its error).

use std::path::Path;

use stagebench_e2e::cli::{refused, stagebench};

const MIB: u64 = 1 << 20;

/// A sparse file of `size` bytes at `path`.
fn sparse(path: &Path, size: u64) {
    std::fs::File::create(path).unwrap().set_len(size).unwrap();
}

#[test]
fn a_400_mb_report_or_pack_is_refused_by_its_length_naming_the_limit() {
    let data = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();

    let report = files.path().join("huge.sbreport");
    sparse(&report, 400 * MIB);
    let out = stagebench(
        &["batch", "import-report", report.to_str().unwrap()],
        data.path(),
        None,
    );
    let error = refused(&out);
    assert!(
        error.contains("the batch report '")
            && error.contains("huge.sbreport' is 400 MiB, over the 64 MiB limit: check that this is the report file"),
        "{error}"
    );

    let pack = files.path().join("huge.age");
    sparse(&pack, 400 * MIB);
    let out = stagebench(
        &[
            "batch",
            "import-pack",
            pack.to_str().unwrap(),
            "--passphrase-env",
            "SB_PASS",
        ],
        data.path(),
        None,
    );
    let error = refused(&out);
    assert!(
        error.contains(
            "huge.age' is 400 MiB, over the 16 MiB limit: check that this is the .age pack"
        ),
        "{error}"
    );

    let list = stagebench(&["batch", "list", "--json"], data.path(), None);
    assert!(
        String::from_utf8_lossy(&list.stdout).trim() == "[]",
        "nothing was imported: {}",
        String::from_utf8_lossy(&list.stdout)
    );
}
