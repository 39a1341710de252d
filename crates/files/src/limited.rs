//! Reading a file (or any reader) whole, but never more than a limit.
//!
//! A pack, a report, a template or a serial list is read into memory to be checked; a hostile or
//! mistaken file of hundreds of megabytes must be refused before it is, not after. The file's
//! length is checked first (a sparse 400 MB file is refused without a byte read), and the read
//! itself goes through [`Read::take`] with one byte more than the limit, so a file that grows
//! while it is read, or a pipe that never says how long it is, is stopped at the limit too.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use crate::FileError;

/// Why a bounded read gave no bytes.
#[derive(Debug, thiserror::Error)]
pub enum LimitedReadError {
    /// The file could not be opened or read.
    #[error(transparent)]
    File(#[from] FileError),
    /// The file (or stream) holds more than `limit` bytes.
    #[error("'{}' is {} bytes, more than the {limit} allowed", path.display(), size.map(|s| s.to_string()).unwrap_or_else(|| format!("over {limit}")))]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its length, when the file system said (a pipe does not).
        size: Option<u64>,
        /// The most bytes allowed.
        limit: u64,
    },
}

/// Every byte of the file at `path`, if it holds at most `limit` bytes.
pub fn read_at_most(path: &Path, limit: u64) -> Result<Vec<u8>, LimitedReadError> {
    let fail = |e| FileError::new(path, "read", e);
    let file = File::open(path).map_err(fail)?;
    let meta = file.metadata().map_err(fail)?;
    if meta.is_file() && meta.len() > limit {
        return Err(LimitedReadError::TooLarge {
            path: path.to_owned(),
            size: Some(meta.len()),
            limit,
        });
    }
    let expected = if meta.is_file() { meta.len() } else { 0 };
    read_to_end_at_most(file, limit, expected)
        .map_err(fail)?
        .ok_or_else(|| LimitedReadError::TooLarge {
            path: path.to_owned(),
            size: None,
            limit,
        })
}

/// Every byte `reader` gives until its end, or `None` once it gives more than `limit`
/// (having read `limit + 1` bytes at most). `expected` sizes the first allocation (it is
/// capped by `limit`, so a lying length costs nothing).
pub fn read_to_end_at_most(
    reader: impl Read,
    limit: u64,
    expected: u64,
) -> io::Result<Option<Vec<u8>>> {
    let mut out = Vec::with_capacity(usize::try_from(expected.min(limit)).unwrap_or(0));
    reader.take(limit.saturating_add(1)).read_to_end(&mut out)?;
    Ok((out.len() as u64 <= limit).then_some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_file_within_the_limit_and_refuses_a_larger_one_by_its_length() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pack.age");
        std::fs::write(&path, b"twelve bytes").unwrap();
        assert_eq!(read_at_most(&path, 12).unwrap(), b"twelve bytes");
        match read_at_most(&path, 11) {
            Err(LimitedReadError::TooLarge { size, limit, .. }) => {
                assert_eq!((size, limit), (Some(12), 11))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_huge_sparse_file_is_refused_without_being_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.txt");
        let file = File::create(&path).unwrap();
        file.set_len(400 << 20).unwrap();
        let error = read_at_most(&path, 16 << 20).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("419430400 bytes, more than the 16777216"),
            "{error}"
        );
    }

    #[test]
    fn a_stream_is_stopped_one_byte_past_the_limit() {
        let endless = io::repeat(b'y');
        assert_eq!(read_to_end_at_most(endless, 1000, u64::MAX).unwrap(), None);
        assert_eq!(
            read_to_end_at_most(&b"abc"[..], 3, 0).unwrap(),
            Some(b"abc".to_vec())
        );
    }

    #[test]
    fn a_missing_file_is_a_file_error_naming_it() {
        let error = read_at_most(Path::new("/nonexistent/pack.age"), 10).unwrap_err();
        assert!(matches!(error, LimitedReadError::File(_)));
        assert!(
            error.to_string().contains("/nonexistent/pack.age"),
            "{error}"
        );
    }
}
