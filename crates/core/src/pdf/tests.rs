//! The writer's structure checked here; what readers make of it checked with poppler's
//! `pdftotext`, `pdftoppm` and `pdfinfo` (Debian's `poppler-utils`, installed by `make test`).

use std::path::Path;
use std::process::Command;

use super::*;

const MISSING: &str = "poppler-utils is not installed (pdftotext, pdftoppm and pdfinfo check the PDFs StageBench writes): run `make test`, which installs it, or `apt-get install poppler-utils`";

/// Runs a poppler tool and returns its standard output.
pub(crate) fn poppler(tool: &str, args: &[&std::ffi::OsStr]) -> Vec<u8> {
    let out = Command::new(tool)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{tool}: {e}; {MISSING}"));
    assert!(
        out.status.success(),
        "{tool} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn pdftotext(pdf: &Path) -> String {
    let out = poppler(
        "pdftotext",
        &["-layout".as_ref(), pdf.as_os_str(), "-".as_ref()],
    );
    String::from_utf8(out).unwrap()
}

fn written(doc: PdfDocument) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.pdf");
    std::fs::write(&path, doc.finish()).unwrap();
    (dir, path)
}

/// Every xref entry points at its object, and startxref at the table.
fn check_xref(pdf: &[u8]) {
    let text = String::from_utf8_lossy(pdf);
    let start: usize = text
        .rsplit("startxref\n")
        .next()
        .and_then(|t| t.lines().next())
        .unwrap()
        .parse()
        .unwrap();
    assert!(pdf[start..].starts_with(b"xref\n0 "));
    let table = String::from_utf8_lossy(&pdf[start..]);
    let mut lines = table.lines().skip(1);
    let size: usize = lines.next().unwrap()[2..].parse().unwrap();
    let entries: Vec<&str> = lines.take(size).collect();
    assert_eq!(entries[0], "0000000000 65535 f ");
    for (id, entry) in entries.iter().enumerate().skip(1) {
        assert_eq!(entry.len(), 19, "{entry:?}");
        let offset: usize = entry[..10].parse().unwrap();
        assert!(
            pdf[offset..].starts_with(format!("{id} 0 obj\n").as_bytes()),
            "object {id}"
        );
    }
    assert!(table.contains(&format!("/Size {size} /Root 1 0 R /Info 3 0 R")));
}

fn content_of(page: &Page) -> String {
    String::from_utf8_lossy(&page.content).into_owned()
}

#[test]
fn numbers_are_short_and_finite() {
    assert_eq!(num(72.0), "72");
    assert_eq!(num(595.28), "595.28");
    assert_eq!(num(0.5), "0.5");
    assert_eq!(num(-0.001), "0");
    assert_eq!(num(f32::NAN), "0");
    assert_eq!(num(f32::INFINITY), "0");
}

#[test]
fn strings_are_escaped_and_y_counts_from_the_top() {
    let mut doc = PdfDocument::new();
    let page = doc.add_page(200.0, 100.0);
    page.text(10.0, 20.0, 9.0, Font::Courier, r"a (b) \ c");
    assert_eq!(
        content_of(page),
        "BT /F3 9 Tf 1 0 0 1 10 80 Tm (a \\(b\\) \\\\ c) Tj ET\n"
    );
    page.rect(10.0, 10.0, 30.0, 20.0, RectStyle::Fill { gray: 0.9 });
    assert!(content_of(page).ends_with("q 0.9 g 10 70 30 20 re f Q\n"));
}

#[test]
fn images_check_their_pixel_count() {
    let mut doc = PdfDocument::new();
    let page = doc.add_page(100.0, 100.0);
    assert_eq!(
        page.image_gray(0.0, 0.0, 10.0, 10.0, 3, 2, &[0; 5]),
        Err(PdfError::PixelCount {
            width: 3,
            height: 2,
            expected: 6,
            found: 5
        })
    );
    assert!(matches!(
        page.image_mono(0.0, 0.0, 1.0, 1.0, 0, 4, &[]),
        Err(PdfError::EmptyImage { .. })
    ));
    page.image_mono(
        0.0,
        0.0,
        10.0,
        10.0,
        9,
        1,
        &[true, false, false, false, false, false, false, false, true],
    )
    .unwrap();
    let inflate = |d: &[u8]| miniz_oxide::inflate::decompress_to_vec_zlib(d).unwrap();
    assert_eq!(
        inflate(&page.images[0].deflated),
        [0x7f, 0x7f],
        "rows padded to bytes, dark is 0"
    );
    // The same image from packed rows (1 = black) gives the same bits.
    page.image_mono_packed(0.0, 0.0, 10.0, 10.0, 9, 1, &[0x80, 0x80])
        .unwrap();
    assert_eq!(inflate(&page.images[1].deflated), [0x7f, 0x7f]);
    assert!(
        page.image_mono_packed(0.0, 0.0, 1.0, 1.0, 9, 1, &[0x80])
            .is_err(),
        "a short buffer is refused"
    );
}

#[test]
fn structure_and_cross_reference_are_consistent() {
    let mut doc = PdfDocument::new().with_title("Chain of custody — Café");
    for i in 0..3 {
        let page = doc.add_page(A4.0, A4.1);
        page.text(40.0, 40.0, 12.0, Font::Helvetica, &format!("page {i}"));
        page.image_gray(40.0, 60.0, 20.0, 20.0, 2, 2, &[0, 255, 255, 0])
            .unwrap();
    }
    let pdf = doc.with_creation_date(OffsetDateTime::UNIX_EPOCH).finish();
    check_xref(&pdf);
    let text = String::from_utf8_lossy(&pdf);
    assert!(text.contains("/Count 3"));
    assert!(text.contains("/CreationDate (D:19700101000000Z)"));
    assert!(text.contains("/Title <FEFF"));
    assert_eq!(text.matches("/Interpolate false").count(), 3);
    check_xref(&PdfDocument::new().finish());
}

#[test]
fn pdftotext_reads_the_text_back() {
    let mut doc = PdfDocument::new().with_title("Zoë");
    let page = doc.add_page(A4.0, A4.1);
    page.text(
        40.0,
        60.0,
        14.0,
        Font::HelveticaBold,
        "Chain of custody — Café Zürich",
    );
    page.text(
        40.0,
        80.0,
        10.0,
        Font::Helvetica,
        "Zoë Müller (tech) paid €5 \\ “quoted”",
    );
    page.text(
        40.0,
        100.0,
        10.0,
        Font::Courier,
        "R5CR10ABCDE 358240051111110",
    );
    page.text(40.0, 120.0, 10.0, Font::Helvetica, "漢字");
    page.line(40.0, 130.0, 300.0, 130.0, 0.5);
    page.rect(40.0, 140.0, 100.0, 20.0, RectStyle::Stroke { width: 1.0 });
    let (_dir, path) = written(doc);
    let text = pdftotext(&path);
    for expected in [
        "Chain of custody — Café Zürich",
        "Zoë Müller (tech) paid €5 \\ “quoted”",
        "R5CR10ABCDE 358240051111110",
        "??",
    ] {
        assert!(text.contains(expected), "{expected:?} not in {text}");
    }
    let info = String::from_utf8(poppler("pdfinfo", &[path.as_os_str()])).unwrap();
    assert!(info.contains("Producer:        StageBench"), "{info}");
    assert!(info.contains("Title:           Zoë"), "{info}");
    assert!(
        info.lines()
            .any(|l| l.starts_with("PDF version:") && l.ends_with(" 1.4")),
        "{info}"
    );
}

/// Renders page 1 at 72 dpi in gray (one pixel per point) and returns (width, height, pixels).
fn render(pdf: &Path) -> (usize, usize, Vec<u8>) {
    let dir = pdf.parent().unwrap();
    let prefix = dir.join("render");
    poppler(
        "pdftoppm",
        &[
            "-r".as_ref(),
            "72".as_ref(),
            "-gray".as_ref(),
            "-singlefile".as_ref(),
            pdf.as_os_str(),
            prefix.as_os_str(),
        ],
    );
    let pgm = std::fs::read(dir.join("render.pgm")).unwrap();
    // Binary PGM: "P5", width, height, maxval, one whitespace byte, then the pixels.
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 {
        while pgm[at].is_ascii_whitespace() {
            at += 1;
        }
        let start = at;
        while !pgm[at].is_ascii_whitespace() {
            at += 1;
        }
        fields.push(String::from_utf8_lossy(&pgm[start..at]).into_owned());
    }
    assert_eq!(fields[0], "P5");
    let (w, h): (usize, usize) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
    (w, h, pgm[at + 1..].to_vec())
}

#[test]
fn pdftoppm_renders_images_pixel_for_pixel() {
    // An 8×8 checkerboard of 8-bit pixels in the top-left 64×64 pt, and the same pattern as
    // a 1-bit image beside it; each source pixel covers 8×8 points.
    let cells: Vec<bool> = (0..64).map(|i| (i / 8 + i % 8) % 2 == 0).collect();
    let gray: Vec<u8> = cells
        .iter()
        .map(|&dark| if dark { 0 } else { 255 })
        .collect();
    let mut doc = PdfDocument::new();
    let page = doc.add_page(144.0, 80.0);
    page.image_gray(0.0, 0.0, 64.0, 64.0, 8, 8, &gray).unwrap();
    page.image_mono(72.0, 0.0, 64.0, 64.0, 8, 8, &cells)
        .unwrap();
    page.rect(0.0, 68.0, 144.0, 12.0, RectStyle::Fill { gray: 0.5 });
    let (_dir, path) = written(doc);
    let (w, h, pixels) = render(&path);
    assert_eq!((w, h), (144, 80));
    let at = |x: usize, y: usize| pixels[y * w + x];
    for (i, &dark) in cells.iter().enumerate() {
        let (row, col) = (i / 8, i % 8);
        for left in [0, 72] {
            // The middle of each cell, away from any anti-aliased edge.
            let value = at(left + col * 8 + 4, row * 8 + 4);
            assert_eq!(
                value,
                if dark { 0 } else { 255 },
                "cell {row},{col} of the image at x={left}"
            );
        }
    }
    assert!(
        (i32::from(at(70, 74)) - 128).abs() <= 2,
        "50% gray fill: {}",
        at(70, 74)
    );
}

#[test]
fn hidden_text_is_found_where_it_spans_and_paints_nothing() {
    let mut doc = PdfDocument::new();
    let page = doc.add_page(200.0, 100.0);
    page.hidden_text(20.0, 30.0, 12.0, Font::Courier, "R5CR(1)", 100.0);
    let content = content_of(page);
    // Courier: 7 × 600/1000 × 12 = 50.4 pt natural, stretched to 100 pt.
    assert_eq!(
        content,
        "q BT 3 Tr 198.41 Tz /F3 12 Tf 1 0 0 1 20 70 Tm (R5CR\\(1\\)) Tj ET Q\n"
    );
    page.hidden_text(20.0, 50.0, 12.0, Font::Courier, "", 100.0);
    assert_eq!(
        content_of(page),
        content,
        "nothing to write, nothing written"
    );
    let (_dir, path) = written(doc);

    let bbox = String::from_utf8(poppler(
        "pdftotext",
        &["-bbox".as_ref(), path.as_os_str(), "-".as_ref()],
    ))
    .unwrap();
    let word = bbox
        .lines()
        .find(|l| l.contains(">R5CR(1)<"))
        .unwrap_or_else(|| panic!("not found in {bbox}"));
    let attr = |name: &str| -> f32 {
        let at = word.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        word[at..].split('"').next().unwrap().parse().unwrap()
    };
    assert!(
        (attr("xMin") - 20.0).abs() < 0.5 && (attr("xMax") - 120.0).abs() < 0.5,
        "{word}"
    );

    let (w, h, pixels) = render(&path);
    assert_eq!((w, h), (200, 100));
    assert!(
        pixels.iter().all(|&p| p == 255),
        "hidden text paints nothing"
    );
}

#[test]
fn hidden_text_leaves_later_text_visible() {
    let mut doc = PdfDocument::new();
    let page = doc.add_page(200.0, 100.0);
    page.hidden_text(10.0, 20.0, 12.0, Font::Courier, "hidden", 50.0);
    page.text(10.0, 60.0, 24.0, Font::HelveticaBold, "SHOWN");
    let (_dir, path) = written(doc);
    let (w, _, pixels) = render(&path);
    let dark_rows: Vec<usize> = (0..100)
        .filter(|y| pixels[y * w..(y + 1) * w].iter().any(|&p| p < 128))
        .collect();
    assert!(
        !dark_rows.is_empty() && dark_rows.iter().all(|&y| (35..=62).contains(&y)),
        "only SHOWN is painted: rows {dark_rows:?}"
    );
}
