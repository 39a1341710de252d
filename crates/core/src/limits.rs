//! The ground floor's input limits, all in one place: how large a file, an answer from a
//! server or printer, or a label may be before the bench refuses it, and reading within a
//! limit: [`read_file`] for files, [`read_stream`] for standard input and other streams,
//! [`read_body`] for HTTP answers.
//!
//! Every input from outside the bench is bounded before it reaches memory: a 400 MB "report"
//! is refused by its length without a byte read, an answer that never ends is cut one chunk
//! past its limit, and a label template that would need a raster of petabytes is refused when
//! it is loaded. Each limit is far above what a real input needs (noted beside it), so only a
//! mistaken or hostile input meets one; the error names the input, the limit and what to do.
//!
//! ADB's own limit (the output of one shell command or device service) lives in the
//! `stagebench-adb` crate (`MAX_SERVICE_OUTPUT`), below this one.

use std::path::Path;

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;

/// A bound on the bytes of one kind of input, with what to do when an input exceeds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteLimit {
    /// What is read, as errors name it ("bench pack", "Graph response").
    pub what: &'static str,
    /// The most bytes accepted.
    pub bytes: u64,
    /// The next step when an input is larger, in the domain's words.
    pub next_step: &'static str,
}

// Files a technician or admin gives the bench.

/// A bench pack: a batch, its profile facts and QR payload (a few kilobytes; its serial list
/// adds tens of bytes per device).
pub const BENCH_PACK: ByteLimit = ByteLimit {
    what: "bench pack",
    bytes: 16 * MIB,
    next_step: "check that this is the .age pack the admin exported for the batch",
};

/// A signed batch report: about 1.5 kB per device, so 40,000 devices fit.
pub const REPORT: ByteLimit = ByteLimit {
    what: "batch report",
    bytes: 64 * MIB,
    next_step: "check that this is the report file the vendor's bench wrote, or split the batch",
};

/// A label template (JSON; the built-in ones are under 3 kB).
pub const TEMPLATE_FILE: ByteLimit = ByteLimit {
    what: "label template",
    bytes: MIB,
    next_step: "check that this is a label template (JSON), or start from a built-in one",
};

/// A list of serials or corporate identifiers, one per line (Graph takes 5,000 identifiers per
/// request; a million serials fit).
pub const SERIAL_LIST: ByteLimit = ByteLimit {
    what: "list file",
    bytes: 16 * MIB,
    next_step: "check that this is a text file of serials or identifiers, one per line",
};

/// A small text file: an enrollment QR payload (a QR code holds under 3 kB), a passphrase, a
/// profile's JSON, a certificate or private key (PEM).
pub const SMALL_FILE: ByteLimit = ByteLimit {
    what: "file",
    bytes: MIB,
    next_step: "check that this is the right input: it should be a small text file",
};

/// A document queued by path for a printer (a label PDF or ZPL; a full sheet of labels is a
/// few megabytes).
pub const PRINT_FILE: ByteLimit = ByteLimit {
    what: "print file",
    bytes: 64 * MIB,
    next_step: "print a smaller document, or split it into several jobs",
};

// Answers from servers and printers.

/// One Graph answer (a page of at most 1,000 devices is a few megabytes; a `$batch` of 20).
pub const GRAPH_RESPONSE: ByteLimit = ByteLimit {
    what: "Graph response",
    bytes: 32 * MIB,
    next_step: "check the Graph address the bench uses: Microsoft Graph never answers this much",
};

/// The most items read from one Graph list across its pages (the lists the bench reads whole,
/// enrollment profiles and directory users, hold tens to thousands).
pub const GRAPH_LIST_ITEMS: usize = 100_000;

/// One answer of the sign-in authority's token endpoint (tokens are a few kilobytes).
pub const TOKEN_RESPONSE: ByteLimit = ByteLimit {
    what: "sign-in response",
    bytes: MIB,
    next_step:
        "check the sign-in authority the bench uses: a token endpoint never answers this much",
};

/// One IPP answer (a printer's attributes are tens of kilobytes; a job's a few hundred bytes).
pub const IPP_RESPONSE: ByteLimit = ByteLimit {
    what: "IPP response",
    bytes: 4 * MIB,
    next_step: "check that the printer's address is an IPP printer",
};

/// A label printer's status answer over TCP or serial (Zebra's `~HS` is under 100 bytes).
pub const PRINTER_STATUS: ByteLimit = ByteLimit {
    what: "printer status answer",
    bytes: 64 * KIB,
    next_step: "check that the printer's address is a label printer's raw port (usually 9100)",
};

/// One line from a barcode scanner, kept while it is read (four times the longest scan
/// accepted, `scanner::MAX_SCAN`); the rest of a longer line is skipped and the line refused.
pub const SCAN_LINE_BYTES: usize = 1024;

// Labels: what a template may ask for, so a raster is never larger than a printer can use.

/// The longest side of a label, in millimetres (a metre: wide-format thermal printers print
/// labels up to 991 mm long).
pub const LABEL_SIDE_MM: f64 = 1000.0;

/// The most dots in one label's or page's raster: 150 M dots (19 MB at one bit a dot). An A4
/// or Letter sheet at 1200 dpi is 139 M dots, a 4 × 6 in label at 2400 dpi 138 M; a metre of
/// label at 1200 dpi, or a sheet at 2400 dpi, is refused.
pub const RASTER_DOTS: u64 = 150_000_000;

/// The most labels on one sheet (the densest Avery sheets hold a few hundred).
pub const LABELS_PER_SHEET: u32 = 1000;

/// The most elements in one template (the built-in ones have under ten).
pub const TEMPLATE_ELEMENTS: usize = 200;

/// The largest text in a template, in points (1000 pt letters are 35 cm tall).
pub const TEXT_SIZE_PT: f64 = 1000.0;

/// `bytes` as people read sizes: `64 MiB`, `400.5 MiB`, `12 kiB`, `900 bytes`.
pub fn shown_size(bytes: u64) -> String {
    let (unit, name) = match bytes {
        b if b >= MIB => (MIB, "MiB"),
        b if b >= KIB => (KIB, "KiB"),
        _ => return format!("{bytes} bytes"),
    };
    let scaled = bytes as f64 / unit as f64;
    let text = format!("{scaled:.1}");
    format!("{} {name}", text.strip_suffix(".0").unwrap_or(&text))
}

/// An input refused by its limit, or a file that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    /// The input is larger than its limit.
    #[error("the {what} {from} {}: {next_step}", match size { Some(size) => format!("is {}, over the {} limit", shown_size(*size), shown_size(*limit)), None => format!("is longer than the {} limit", shown_size(*limit)) })]
    TooLarge {
        /// What it is ("bench pack").
        what: &'static str,
        /// Which one: the file's path in quotes, or where an answer came from.
        from: String,
        /// Its size, when known before reading (a file's length, a `Content-Length`).
        size: Option<u64>,
        /// The limit.
        limit: u64,
        /// What to do.
        next_step: &'static str,
    },
    /// The file could not be opened or read.
    #[error("can't read the {what} '{path}': {detail}; check the path")]
    Unreadable {
        /// What it is.
        what: &'static str,
        /// The file.
        path: String,
        /// What the OS said (or that it is not UTF-8 text).
        detail: String,
    },
}

impl ByteLimit {
    /// This limit's error for input `from`.
    pub fn exceeded(&self, from: impl Into<String>, size: Option<u64>) -> InputError {
        InputError::TooLarge {
            what: self.what,
            from: from.into(),
            size,
            limit: self.bytes,
            next_step: self.next_step,
        }
    }

    /// The same limit, naming its input `what` ("passphrase file", "private key").
    pub const fn named(self, what: &'static str) -> ByteLimit {
        ByteLimit { what, ..self }
    }
}

/// The file at `path`, if it holds at most `limit.bytes` (refused by its length before any
/// byte is read, and never read past the limit).
pub fn read_file(path: &Path, limit: &ByteLimit) -> Result<Vec<u8>, InputError> {
    use stagebench_files::LimitedReadError;
    stagebench_files::read_at_most(path, limit.bytes).map_err(|e| match e {
        LimitedReadError::TooLarge { size, .. } => {
            limit.exceeded(format!("'{}'", path.display()), size)
        }
        LimitedReadError::File(e) => InputError::Unreadable {
            what: limit.what,
            path: path.display().to_string(),
            detail: e.source.to_string(),
        },
    })
}

/// [`read_file`], as UTF-8 text.
pub fn read_text_file(path: &Path, limit: &ByteLimit) -> Result<String, InputError> {
    String::from_utf8(read_file(path, limit)?).map_err(|_| InputError::Unreadable {
        what: limit.what,
        path: path.display().to_string(),
        detail: "it is not UTF-8 text".into(),
    })
}

/// Everything `reader` (`from`, as errors name it: "standard input") gives until its end, if
/// that is at most `limit.bytes` (never reading more than one byte past it).
pub fn read_stream(
    reader: impl std::io::Read,
    limit: &ByteLimit,
    from: &str,
) -> Result<Vec<u8>, InputError> {
    stagebench_files::read_to_end_at_most(reader, limit.bytes, 0)
        .map_err(|e| InputError::Unreadable {
            what: limit.what,
            path: from.to_owned(),
            detail: e.to_string(),
        })?
        .ok_or_else(|| limit.exceeded(from, None))
}

/// Why an HTTP answer's body was not read.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    /// The connection failed while the body came.
    #[error(transparent)]
    Transport(#[from] reqwest::Error),
    /// The body is larger than its limit.
    #[error(transparent)]
    TooLarge(InputError),
}

/// The body of `response` (from `from`, as errors name it), read chunk by chunk and refused
/// once it holds more than `limit.bytes` (at once when its `Content-Length` says so).
pub async fn read_body(
    mut response: reqwest::Response,
    limit: &ByteLimit,
    from: &str,
) -> Result<Vec<u8>, BodyError> {
    let declared = response.content_length();
    if let Some(length) = declared.filter(|&l| l > limit.bytes) {
        return Err(BodyError::TooLarge(limit.exceeded(from, Some(length))));
    }
    let first = declared.unwrap_or(0).min(limit.bytes);
    let mut body = Vec::with_capacity(usize::try_from(first).unwrap_or(0));
    while let Some(chunk) = response.chunk().await? {
        if (body.len() + chunk.len()) as u64 > limit.bytes {
            return Err(BodyError::TooLarge(limit.exceeded(from, None)));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(shown_size(64 * MIB), "64 MiB");
        assert_eq!(shown_size(400 * MIB + MIB / 2), "400.5 MiB");
        assert_eq!(shown_size(12 * KIB), "12 KiB");
        assert_eq!(shown_size(900), "900 bytes");
    }

    #[test]
    fn a_report_over_its_limit_is_refused_by_its_length_naming_the_limit_and_the_step() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("huge.report");
        std::fs::File::create(&path)
            .unwrap()
            .set_len(400 * MIB)
            .unwrap();
        let error = read_file(&path, &REPORT).unwrap_err();
        let text = error.to_string();
        assert!(
            text.starts_with("the batch report '")
                && text.contains("huge.report' is 400 MiB, over the 64 MiB limit: check that this is the report file"),
            "{text}"
        );
        assert!(matches!(error, InputError::TooLarge { size: Some(s), .. } if s == 400 * MIB));
    }

    #[test]
    fn a_missing_file_names_what_it_was_for() {
        let error = read_text_file(Path::new("/nonexistent/x.json"), &TEMPLATE_FILE).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("can't read the label template '/nonexistent/x.json': "),
            "{error}"
        );
    }
}
