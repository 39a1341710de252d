//! Labels: render → decode for every built-in template at every resolution (QR with rqrr on the
//! raster, Code 128 with `zbarimg` on the PNG, the PDF through `pdftoppm -mono`), module sizes in
//! whole dots, exact PNG size and resolution, ZPL read back equal to the PNG raster, template
//! validation errors, oversize payloads with the suggested template, and the guards; the PDF's
//! text layer read back with `pdftotext` (every serial of a multi-page sheet, where its image
//! is; an enrollment label's visible text and nothing of its QR payload).

mod support;

use std::path::Path;
use std::process::Command;

use stagebench_core::batch::progress::{BatchTokenState, TokenCheck};
use stagebench_core::label::output::{png, read_zpl};
use stagebench_core::label::raster::{mm_to_dots, Bitmap};
use stagebench_core::label::template::{ElementKind, TemplateProblem};
use stagebench_core::label::{
    builtin_templates, render_label, render_labels, BoxLabel, DeviceLabel, EnrollmentLabel,
    LabelData, LabelError, LabelKind, OutputFormat, RenderOptions, Template, MIN_QR_DOTS,
};
use stagebench_core::secret::SecretText;
use stagebench_core::testing::qr::decode_bitmap as decode_qr;

const DPIS: [u32; 3] = [203, 300, 600];
const SERIAL: &str = "R5CR100001";

fn payload(wifi: bool) -> String {
    let wifi = if wifi {
        r#""android.app.extra.PROVISIONING_WIFI_SSID":"Staging-Bench","android.app.extra.PROVISIONING_WIFI_SECURITY_TYPE":"WPA","android.app.extra.PROVISIONING_WIFI_PASSWORD":"correct horse battery","#
    } else {
        ""
    };
    format!(
        r#"{{"android.app.extra.PROVISIONING_DEVICE_ADMIN_COMPONENT_NAME":"com.google.android.apps.work.clouddpc/.receivers.CloudDeviceAdminReceiver","android.app.extra.PROVISIONING_DEVICE_ADMIN_SIGNATURE_CHECKSUM":"I5YvS0O5hXY46mb01BlRjq4oJJGs2kuUcHvVkAPEXlg","android.app.extra.PROVISIONING_DEVICE_ADMIN_PACKAGE_DOWNLOAD_LOCATION":"https://play.google.com/managed/downloadManagingApp?identifier=setup",{wifi}"android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE":{{"com.google.android.apps.work.clouddpc.EXTRA_ENROLLMENT_TOKEN":"ABCDEFGHIJKLMNOPQRST"}}}}"#
    )
}

fn ok_token() -> TokenCheck {
    TokenCheck {
        expires: Some("2026-12-31T12:59:59Z".into()),
        state: BatchTokenState::Ok,
        message: None,
        remedy: None,
        printing_blocked: false,
    }
}

fn enrollment(text: String, wifi: bool) -> LabelData {
    LabelData::Enrollment(EnrollmentLabel {
        batch: "Warehouse scanners, wave 3".into(),
        profile_name: "Staging - warehouse scanners".into(),
        token_expires: Some(time::macros::date!(2026 - 12 - 31)),
        payload: SecretText::new(text),
        carries_wifi_credentials: wifi,
        token: ok_token(),
    })
}

fn device(serial: &str) -> LabelData {
    LabelData::Device(DeviceLabel {
        serial: serial.into(),
        maker: Some("samsung".into()),
        model: Some("SM-G991B".into()),
        batch: Some("Warehouse scanners, wave 3".into()),
        slot: Some(12),
        stage2_date: Some(time::macros::date!(2026 - 03 - 02)),
    })
}

fn boxed() -> LabelData {
    LabelData::Box(BoxLabel {
        serials: vec![
            "R5CR100001".into(),
            "R5CR100002".into(),
            "R5CR100003".into(),
        ],
        batch: Some("Wave 3".into()),
    })
}

fn sample(kind: LabelKind) -> (LabelData, String) {
    match kind {
        LabelKind::Enrollment => (enrollment(payload(false), false), payload(false)),
        LabelKind::Device => (device(SERIAL), SERIAL.into()),
        LabelKind::Box => (boxed(), "R5CR100001\nR5CR100002\nR5CR100003".into()),
    }
}

fn options(dpi: u32) -> RenderOptions {
    RenderOptions {
        dpi,
        refuse_wifi_credentials: false,
    }
}

/// What zbarimg reads in an image file (QR and Code 128), one symbol per entry.
fn zbar(path: &Path) -> Vec<String> {
    let out = Command::new("zbarimg")
        .args(["-q", "--raw", "-Sqrcode.enable", "-Scode128.enable"])
        .arg(path)
        .output()
        .expect("zbarimg (zbar-tools) is installed");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.lines().map(str::to_owned).collect()
}

fn zbar_code128(path: &Path) -> Vec<String> {
    let out = Command::new("zbarimg")
        .args(["-q", "--raw", "-Sdisable", "-Scode128.enable"])
        .arg(path)
        .output()
        .expect("zbarimg (zbar-tools) is installed");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The QR element's area in dots, as the renderer snaps it.
fn qr_area(template: &Template, dpi: u32) -> (u32, u32, u32, u32) {
    let e = template
        .elements
        .iter()
        .find(|e| matches!(e.kind, ElementKind::Qr { .. }))
        .expect("a QR element");
    let x = mm_to_dots(e.area.x_mm, dpi);
    let y = mm_to_dots(e.area.y_mm, dpi);
    (
        x,
        y,
        mm_to_dots(e.area.x_mm + e.area.w_mm, dpi) - x,
        mm_to_dots(e.area.y_mm + e.area.h_mm, dpi) - y,
    )
}

/// Dots per module of the QR code in the area: the top-left finder pattern's first row is a
/// run of 7 dark modules.
fn qr_module_dots(bitmap: &Bitmap, area: (u32, u32, u32, u32)) -> u32 {
    let (x0, y0, w, h) = area;
    for y in y0..y0 + h {
        if let Some(start) = (x0..x0 + w).find(|&x| bitmap.get(x, y)) {
            let run = (start..x0 + w).take_while(|&x| bitmap.get(x, y)).count() as u32;
            assert_eq!(
                run % 7,
                0,
                "finder row run of {run} dots is not 7 whole modules"
            );
            return run / 7;
        }
    }
    panic!("no QR code in its area");
}

fn png_size_and_dpi(bytes: &[u8]) -> (u32, u32, Option<u32>) {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let reader = decoder.read_info().unwrap();
    let info = reader.info();
    let dpi = info
        .pixel_dims
        .map(|d| (f64::from(d.xppu) * 0.0254).round() as u32);
    (info.width, info.height, dpi)
}

#[test]
fn every_builtin_template_renders_and_decodes_at_every_resolution() {
    let dir = tempfile::tempdir().unwrap();
    let templates = builtin_templates();
    assert!(templates.len() >= 8);
    for template in &templates {
        for dpi in DPIS {
            let (label, expected) = sample(template.kind);
            let what = format!("{} at {dpi} dpi", template.name);
            let raster = match render_label(template, &label, &options(dpi)) {
                Ok(r) => r,
                Err(LabelError::DoesNotFit(fit)) => {
                    let suggestion = fit.suggestion;
                    // A whole enrollment payload needs 600 dpi on a 50 × 30 mm label.
                    assert!(
                        template.name == "enrollment-50x30mm" && dpi < 600,
                        "{what} does not fit"
                    );
                    assert_eq!(suggestion.as_deref(), Some("enrollment-a4-2x3"), "{what}");
                    continue;
                }
                Err(e) => panic!("{what}: {e}"),
            };
            assert_eq!(
                (raster.width(), raster.height()),
                (
                    mm_to_dots(template.width_mm, dpi),
                    mm_to_dots(template.height_mm, dpi)
                ),
                "{what}"
            );
            // QR: whole dots, at least 4, and it decodes.
            let module = qr_module_dots(&raster, qr_area(template, dpi));
            assert!(module >= MIN_QR_DOTS, "{what}: {module} dots per module");
            assert_eq!(decode_qr(&raster), vec![expected.clone()], "{what}");
            // The label alone as PNG: exact size, its resolution, Code 128 read by zbar.
            let bytes = png(&raster, dpi).unwrap();
            assert_eq!(
                png_size_and_dpi(&bytes),
                (raster.width(), raster.height(), Some(dpi)),
                "{what}"
            );
            let path = dir.path().join(format!("{}-{dpi}.png", template.name));
            std::fs::write(&path, &bytes).unwrap();
            if template
                .elements
                .iter()
                .any(|e| matches!(e.kind, ElementKind::Code128 { .. }))
            {
                assert_eq!(zbar_code128(&path), vec![SERIAL.to_owned()], "{what}");
            }
            if template.kind == LabelKind::Device {
                assert!(zbar(&path).contains(&SERIAL.to_owned()), "{what}");
            }
            // The document: PNG pages of the exact page size.
            let doc = render_labels(
                template,
                &[label.clone(), label.clone()],
                OutputFormat::Png,
                &options(dpi),
            )
            .unwrap();
            for file in &doc.files {
                let (w, h, d) = png_size_and_dpi(file);
                assert_eq!(
                    (w, h, d),
                    (doc.page_dots.0, doc.page_dots.1, Some(dpi)),
                    "{what}"
                );
            }
            assert_eq!(
                doc.files.len(),
                if template.sheet.is_some() { 1 } else { 2 },
                "{what}"
            );
            if template.sheet.is_none() {
                // ZPL read back is the PNG's raster, dot for dot.
                let zpl = render_labels(
                    template,
                    std::slice::from_ref(&label),
                    OutputFormat::Zpl,
                    &options(dpi),
                )
                .unwrap();
                let text = String::from_utf8(zpl.files[0].clone()).unwrap();
                let back = read_zpl(&text).unwrap();
                assert_eq!(back.len(), 1);
                assert_eq!(
                    (back[0].print_width, back[0].label_length),
                    (raster.width(), raster.height()),
                    "{what}"
                );
                assert_eq!(
                    back[0].raster, raster,
                    "{what}: ZPL raster differs from the PNG's"
                );
            }
        }
    }
}

#[test]
fn pdf_rasterized_at_the_printer_resolution_decodes() {
    let dir = tempfile::tempdir().unwrap();
    for template in builtin_templates() {
        for dpi in DPIS {
            // Sheets at 600 dpi are slow to rasterize and decode; 203 and 300 cover the path.
            if template.sheet.is_some() && dpi == 600 {
                continue;
            }
            let (label, expected) = sample(template.kind);
            let what = format!("{} at {dpi} dpi (PDF)", template.name);
            let Ok(doc) = render_labels(
                &template,
                std::slice::from_ref(&label),
                OutputFormat::Pdf,
                &options(dpi),
            ) else {
                assert!(template.name == "enrollment-50x30mm" && dpi < 600, "{what}");
                continue;
            };
            let pdf = dir.path().join(format!("{}-{dpi}.pdf", template.name));
            std::fs::write(&pdf, &doc.files[0]).unwrap();
            let prefix = dir.path().join(format!("{}-{dpi}", template.name));
            let status = Command::new("pdftoppm")
                .args(["-r", &dpi.to_string(), "-mono", "-png", "-singlefile"])
                .arg(&pdf)
                .arg(&prefix)
                .status()
                .expect("pdftoppm (poppler-utils) is installed");
            assert!(status.success(), "{what}");
            let png_path = prefix.with_extension("png");
            let image = image::open(&png_path).unwrap().to_luma8();
            let (pw, ph) = template.page_mm();
            // The page is the exact physical size (pdftoppm rounds to whole pixels).
            assert!(
                (i64::from(image.width()) - i64::from(mm_to_dots(pw, dpi))).abs() <= 1,
                "{what}: width {}",
                image.width()
            );
            assert!(
                (i64::from(image.height()) - i64::from(mm_to_dots(ph, dpi))).abs() <= 1,
                "{what}: height {}",
                image.height()
            );
            let mut found = zbar(&png_path);
            if found.is_empty() {
                // zbar's QR finder is not fully deterministic on large, dithered 600-dpi pages
                // (seen once in many runs under load); a second scanner reads the same pixels.
                let mut prepared = rqrr::PreparedImage::prepare(image.clone());
                found = prepared
                    .detect_grids()
                    .into_iter()
                    .filter_map(|g| g.decode().ok().map(|(_, t)| t))
                    .collect();
            }
            assert!(
                found
                    .iter()
                    .any(|f| expected.starts_with(f.as_str()) || f == &expected),
                "{what}: zbar and rqrr read {found:?}"
            );
            if template
                .elements
                .iter()
                .any(|e| matches!(e.kind, ElementKind::Code128 { .. }))
            {
                assert!(
                    zbar_code128(&png_path).contains(&SERIAL.to_owned()),
                    "{what}"
                );
            }
            // Thermal labels: the rasterized PDF is our raster. Poppler's Splash does not map a
            // 1:1 image exactly onto its pixel grid (edges land a fraction of a dot off and
            // `-mono` dithers them), so a difference is allowed only on an edge dot; anywhere
            // else (a scaled or shifted image) fails.
            if template.sheet.is_none() {
                let raster = render_label(&template, &label, &options(dpi)).unwrap();
                let mut off_edge = 0u64;
                for y in 0..raster.height().min(image.height()) {
                    for x in 0..raster.width().min(image.width()) {
                        let ours = raster.get(x, y);
                        if ours != (image.get_pixel(x, y).0[0] < 128) {
                            let (x0, y0) = (x.saturating_sub(1), y.saturating_sub(1));
                            let at_edge = (y0..=y + 1)
                                .any(|ny| (x0..=x + 1).any(|nx| raster.get(nx, ny) != ours));
                            if !at_edge {
                                off_edge += 1;
                            }
                        }
                    }
                }
                assert_eq!(
                    off_edge, 0,
                    "{what}: {off_edge} dots differ from the raster away from an edge"
                );
            }
        }
    }
}

#[test]
fn oversize_payload_names_the_smallest_template_that_fits() {
    let templates = builtin_templates();
    let small = templates
        .iter()
        .find(|t| t.name == "enrollment-50x30mm")
        .unwrap();
    let err = render_label(small, &enrollment(payload(false), false), &options(203)).unwrap_err();
    let message = err.to_string();
    assert!(
        matches!(&err, LabelError::DoesNotFit(f) if f.suggestion.as_deref() == Some("enrollment-a4-2x3")),
        "{message}"
    );
    assert!(
        message.contains("use template enrollment-a4-2x3") && message.contains("203 dpi"),
        "{message}"
    );
    // At 600 dpi the same payload fits the small label.
    render_label(small, &enrollment(payload(false), false), &options(600)).unwrap();

    // Near the QR maximum, nothing built in holds it at 203 dpi; at 300 dpi the 4 × 6 in does.
    let huge = format!(r#"{{"x":"{}"}}"#, "A1b2".repeat(720));
    let big = templates
        .iter()
        .find(|t| t.name == "enrollment-4x6in")
        .unwrap();
    let err = render_label(big, &enrollment(huge.clone(), false), &options(203)).unwrap_err();
    assert!(
        matches!(&err, LabelError::DoesNotFit(f) if f.suggestion.is_none()),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("no built-in template holds it at 203 dpi"),
        "{err}"
    );
    let raster = render_label(big, &enrollment(huge.clone(), false), &options(300)).unwrap();
    assert_eq!(decode_qr(&raster), vec![huge]);

    // A long serial's barcode fits neither 2 × 1 in nor 50 × 30 mm at 203 dpi; the Letter sheet's label does.
    let long = "SN-ABCDEFGHIJKLM";
    let two_by_one = templates.iter().find(|t| t.name == "device-2x1in").unwrap();
    let err = render_label(two_by_one, &device(long), &options(203)).unwrap_err();
    assert!(
        matches!(&err, LabelError::DoesNotFit(f) if f.symbol == "Code 128 barcode" && f.suggestion.as_deref() == Some("device-letter-3x10")),
        "{err}"
    );
}

fn template_error(json: &str) -> (Option<String>, TemplateProblem, String) {
    let err = Template::from_json(json, "bad.json").unwrap_err();
    let message = err.to_string();
    assert!(message.starts_with("label template bad.json"), "{message}");
    (err.element, err.problem, message)
}

fn device_template(elements: &str) -> String {
    format!(
        r#"{{"name":"t","kind":"device","width_mm":50,"height_mm":30,"elements":[{elements}]}}"#
    )
}

#[test]
fn bad_templates_fail_naming_the_file_and_element() {
    let qr =
        r#"{"type":"qr","id":"serial-qr","field":"serial","x_mm":0,"y_mm":0,"w_mm":20,"h_mm":20}"#;
    let (element, problem, message) = template_error(&device_template(
        r#"{"type":"qr","field":"serail","x_mm":0,"y_mm":0,"w_mm":20,"h_mm":20}"#,
    ));
    assert_eq!(element.as_deref(), Some("element 1 (qr)"));
    assert!(
        matches!(problem, TemplateProblem::UnknownField { ref field, .. } if field == "serail"),
        "{message}"
    );
    assert!(message.contains("serial, maker"), "{message}");

    let (element, problem, _) = template_error(&device_template(&format!(
        r#"{qr},{{"type":"text","field":"batch","size_pt":6,"x_mm":40,"y_mm":25,"w_mm":20,"h_mm":4}}"#
    )));
    assert_eq!(element.as_deref(), Some("element 2 (text)"));
    assert!(matches!(problem, TemplateProblem::OutsideLabel { .. }));

    let (element, problem, message) = template_error(&device_template(&format!(
        r#"{qr},{{"type":"code128","field":"serial","x_mm":10,"y_mm":15,"w_mm":40,"h_mm":10}}"#
    )));
    assert_eq!(element.as_deref(), Some("element 1 \"serial-qr\""));
    assert!(
        matches!(problem, TemplateProblem::Overlap { ref other } if other == "element 2 (code128)"),
        "{message}"
    );

    let (_, problem, _) = template_error(&device_template(
        r#"{"type":"qr","field":"serial","x_mm":0,"y_mm":0,"w_mm":0,"h_mm":20}"#,
    ));
    assert_eq!(problem, TemplateProblem::ZeroSize("w_mm"));
    let (element, problem, _) =
        template_error(r#"{"name":"t","kind":"device","width_mm":0,"height_mm":30,"elements":[]}"#);
    assert_eq!(
        (element, problem),
        (None, TemplateProblem::ZeroSize("width_mm"))
    );
    let (_, problem, _) = template_error(&device_template(
        r#"{"type":"text","field":"batch","size_pt":0,"x_mm":0,"y_mm":0,"w_mm":10,"h_mm":4}"#,
    ));
    assert_eq!(problem, TemplateProblem::ZeroSize("size_pt"));

    let (element, problem, message) = template_error(&device_template(
        r#"{"type":"qr","field":"serial","x_mm":0,"y_mm":0,"w_mm":20,"h_mm":20,"colour":"red"}"#,
    ));
    assert_eq!(element.as_deref(), Some("element 1 (qr)"));
    assert!(
        matches!(problem, TemplateProblem::Syntax(ref s) if s.contains("colour")),
        "{message}"
    );

    let (_, problem, _) = template_error(
        r#"{"name":"t","kind":"enrollment","width_mm":50,"height_mm":30,"elements":[{"type":"qr","field":"payload","x_mm":0,"y_mm":0,"w_mm":20,"h_mm":20}]}"#,
    );
    assert_eq!(problem, TemplateProblem::NoWarning);
    let (_, problem, _) = template_error(
        r#"{"name":"t","kind":"enrollment","width_mm":50,"height_mm":30,"elements":[{"type":"text","field":"payload","size_pt":6,"x_mm":0,"y_mm":0,"w_mm":20,"h_mm":20}]}"#,
    );
    assert!(matches!(
        problem,
        TemplateProblem::FieldNotAllowed {
            field: "payload",
            ..
        }
    ));

    let (_, problem, _) = template_error(
        r#"{"name":"t","kind":"device","width_mm":70,"height_mm":40,"sheet":{"page":"a4","rows":8,"columns":3,"margin_top_mm":0,"margin_left_mm":0},"elements":[]}"#,
    );
    assert!(matches!(problem, TemplateProblem::SheetTooSmall { .. }));
    let (_, problem, _) = template_error(
        r#"{"name":"t","kind":"device","width_mm":70,"height_mm":30,"sheet":{"page":"a4","rows":0,"columns":3,"margin_top_mm":0,"margin_left_mm":0},"elements":[]}"#,
    );
    assert_eq!(problem, TemplateProblem::ZeroSize("sheet.rows"));

    let (_, problem, _) = template_error("{not json");
    assert!(matches!(problem, TemplateProblem::Syntax(_)));
}

#[test]
fn guards_refuse_blocked_tokens_and_wifi_keys_or_warn() {
    let template = builtin_templates()
        .into_iter()
        .find(|t| t.name == "enrollment-4x6in")
        .unwrap();
    let mut blocked = enrollment(payload(false), false);
    if let LabelData::Enrollment(e) = &mut blocked {
        e.token = TokenCheck {
            expires: Some("2026-01-01T12:59:59Z".into()),
            state: BatchTokenState::ExpiresBeforeDue,
            message: Some(
                "The token expires on 2026-01-01, before the batch is due (2026-02-01)".into(),
            ),
            remedy: None,
            printing_blocked: true,
        };
    }
    let err = render_labels(&template, &[blocked], OutputFormat::Png, &options(203)).unwrap_err();
    assert!(
        matches!(err, LabelError::TokenBlocked { .. })
            && err.to_string().contains("before the batch is due"),
        "{err}"
    );

    let wifi = enrollment(payload(true), true);
    let refuse = RenderOptions {
        dpi: 203,
        refuse_wifi_credentials: true,
    };
    let err = render_labels(
        &template,
        std::slice::from_ref(&wifi),
        OutputFormat::Pdf,
        &refuse,
    )
    .unwrap_err();
    assert!(
        matches!(err, LabelError::WifiCredentialsRefused { .. }),
        "{err}"
    );

    // Allowed: the warning banner is printed (black area), and absent without Wi-Fi.
    let banner = template
        .elements
        .iter()
        .find(|e| matches!(e.kind, ElementKind::Warning { .. }))
        .unwrap()
        .area;
    let ink = |raster: &Bitmap| {
        let (x, y) = (mm_to_dots(banner.x_mm, 203), mm_to_dots(banner.y_mm, 203));
        let (w, h) = (mm_to_dots(banner.w_mm, 203), mm_to_dots(banner.h_mm, 203));
        (y..y + h)
            .flat_map(|yy| (x..x + w).map(move |xx| (xx, yy)))
            .filter(|&(xx, yy)| raster.get(xx, yy))
            .count() as f64
            / f64::from(w * h)
    };
    let with = render_label(&template, &wifi, &options(203)).unwrap();
    assert!(
        ink(&with) > 0.5,
        "the Wi-Fi banner is black with white text"
    );
    assert_eq!(decode_qr(&with), vec![payload(true)]);
    let without =
        render_label(&template, &enrollment(payload(false), false), &options(203)).unwrap();
    assert_eq!(ink(&without), 0.0);

    // A device template refuses an enrollment label.
    let device_t = builtin_templates()
        .into_iter()
        .find(|t| t.name == "device-2x1in")
        .unwrap();
    assert!(matches!(
        render_label(&device_t, &wifi, &options(203)),
        Err(LabelError::KindMismatch { .. })
    ));
}

#[test]
fn formats_refuse_what_they_cannot_do() {
    let sheet = builtin_templates()
        .into_iter()
        .find(|t| t.name == "device-a4-3x8")
        .unwrap();
    assert!(matches!(
        render_labels(&sheet, &[device(SERIAL)], OutputFormat::Zpl, &options(203)),
        Err(LabelError::SheetAsZpl(_))
    ));
    let roll = builtin_templates()
        .into_iter()
        .find(|t| t.name == "device-2x1in")
        .unwrap();
    assert!(matches!(
        render_labels(&roll, &[device(SERIAL)], OutputFormat::Zpl, &options(250)),
        Err(LabelError::Dpi { .. })
    ));
    // PNG at a chosen resolution.
    let doc = render_labels(&roll, &[device(SERIAL)], OutputFormat::Png, &options(400)).unwrap();
    assert_eq!(png_size_and_dpi(&doc.files[0]), (800, 400, Some(400)));
    // A sheet of 30 labels and 31 devices: two pages.
    let letter = builtin_templates()
        .into_iter()
        .find(|t| t.name == "device-letter-3x10")
        .unwrap();
    let many: Vec<LabelData> = (0..31).map(|i| device(&format!("R5CR1{i:05}"))).collect();
    let doc = render_labels(&letter, &many, OutputFormat::Pdf, &options(300)).unwrap();
    assert_eq!((doc.pages, doc.labels), (2, 31));
}

/// `pdftotext` of `pdf`, plain.
fn pdftotext(pdf: &Path) -> String {
    let out = Command::new("pdftotext")
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A word poppler finds, with its box in points from the page's top-left corner.
#[derive(Debug)]
struct Word {
    page: usize,
    text: String,
    x_min: f64,
    y_min: f64,
    x_max: f64,
    y_max: f64,
}

/// Every word of `pdf` (`pdftotext -bbox`).
fn pdf_words(pdf: &Path) -> Vec<Word> {
    let out = Command::new("pdftotext")
        .arg("-bbox")
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = String::from_utf8(out.stdout).unwrap();
    let mut words = Vec::new();
    let mut page = 0;
    for line in html.lines().map(str::trim) {
        if line.starts_with("<page ") {
            page += 1;
        }
        let Some(rest) = line.strip_prefix("<word ") else {
            continue;
        };
        let attr = |name: &str| -> f64 {
            let at = rest.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
            rest[at..].split('"').next().unwrap().parse().unwrap()
        };
        let text = rest
            .split('>')
            .nth(1)
            .unwrap()
            .trim_end_matches("</word")
            .to_owned();
        words.push(Word {
            page,
            text,
            x_min: attr("xMin"),
            y_min: attr("yMin"),
            x_max: attr("xMax"),
            y_max: attr("yMax"),
        });
    }
    words
}

#[test]
fn pdf_text_layer_lists_every_serial_of_a_multi_page_sheet_where_it_is_printed() {
    let template = builtin_templates()
        .into_iter()
        .find(|t| t.name == "device-a4-3x8")
        .unwrap();
    let per_page = template.sheet.unwrap().per_page();
    let serials: Vec<String> = (1..=50).map(|i| format!("R5CR1{i:05}")).collect();
    let labels: Vec<LabelData> = serials.iter().map(|s| device(s)).collect();
    let dpi = 203;
    let doc = render_labels(&template, &labels, OutputFormat::Pdf, &options(dpi)).unwrap();
    assert_eq!(doc.pages, 3);
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("sheet.pdf");
    std::fs::write(&pdf, &doc.files[0]).unwrap();

    let text = pdftotext(&pdf);
    for serial in &serials {
        assert_eq!(
            text.matches(serial.as_str()).count(),
            1,
            "{serial} once in the text layer"
        );
    }
    assert!(
        text.contains("samsung SM-G991B")
            && text.contains("Slot 12")
            && text.contains("Stage 2 2026-03-02"),
        "{text}"
    );

    let words = pdf_words(&pdf);
    for (i, serial) in serials.iter().enumerate() {
        let word = words
            .iter()
            .find(|w| &w.text == serial)
            .unwrap_or_else(|| panic!("{serial} not a word"));
        assert_eq!(word.page, i / per_page + 1, "{serial} on its label's page");
    }

    // Selecting the first serial covers its printed image: compare the word's box with the dark
    // dots of page 1, rasterized at the printer's resolution, right of the QR code and above the
    // next line (maker and model, from 7.5 mm into the label).
    let prefix = dir.path().join("page");
    let status = Command::new("pdftoppm")
        .args([
            "-r",
            &dpi.to_string(),
            "-mono",
            "-png",
            "-singlefile",
            "-f",
            "1",
            "-l",
            "1",
        ])
        .arg(&pdf)
        .arg(&prefix)
        .status()
        .expect("pdftoppm (poppler-utils) is installed");
    assert!(status.success());
    let image = image::open(prefix.with_extension("png"))
        .unwrap()
        .to_luma8();
    let (label_x, label_y) =
        template
            .sheet
            .unwrap()
            .origin_mm(0, template.width_mm, template.height_mm);
    let dots = |mm: f64| mm_to_dots(mm, dpi);
    let (left, right) = (dots(label_x + 22.5), dots(label_x + template.width_mm));
    let (top, bottom) = (dots(label_y + 1.0), dots(label_y + 7.25));
    let dark: Vec<(u32, u32)> = (top..bottom)
        .flat_map(|y| (left..right).map(move |x| (x, y)))
        .filter(|&(x, y)| image.get_pixel(x, y).0[0] < 128)
        .collect();
    assert!(!dark.is_empty(), "the serial is printed");
    let ink = |f: fn(&(u32, u32)) -> u32| {
        (
            dark.iter().map(f).min().unwrap(),
            dark.iter().map(f).max().unwrap(),
        )
    };
    let ((ink_left, ink_right), (ink_top, ink_bottom)) = (ink(|p| p.0), ink(|p| p.1));
    let word = &words[0];
    assert_eq!(word.text, serials[0]);
    let pt = |v: f64| v * f64::from(dpi) / 72.0;
    let cell = (pt(word.x_max) - pt(word.x_min)) / serials[0].len() as f64;
    assert!(
        (pt(word.x_min) - f64::from(ink_left)).abs() <= 2.0,
        "starts at the ink: {word:?} vs dot {ink_left}"
    );
    assert!(
        f64::from(ink_right) <= pt(word.x_max) + 2.0
            && f64::from(ink_right) >= pt(word.x_max) - cell,
        "ends in the last cell: {word:?} vs dot {ink_right}"
    );
    assert!(
        pt(word.y_min) <= f64::from(ink_top) + 2.0 && pt(word.y_max) >= f64::from(ink_bottom) - 2.0,
        "covers the glyphs: {word:?} vs rows {ink_top}..{ink_bottom}"
    );
    assert!(
        pt(word.y_max - word.y_min) <= 2.0 * f64::from(ink_bottom - ink_top + 1),
        "not much taller: {word:?}"
    );
}

#[test]
fn enrollment_label_pdfs_carry_their_visible_text_and_nothing_of_the_qr_payload() {
    let secrets = [
        "ABCDEFGHIJKLMNOPQRST",
        "correct horse battery",
        "Staging-Bench",
        "PROVISIONING",
        "clouddpc",
    ];
    let dir = tempfile::tempdir().unwrap();
    let label = enrollment(payload(true), true);
    for template in builtin_templates()
        .into_iter()
        .filter(|t| t.kind == LabelKind::Enrollment)
    {
        // The Wi-Fi payload needs 600 dpi on the small roll label.
        let doc = render_labels(
            &template,
            std::slice::from_ref(&label),
            OutputFormat::Pdf,
            &options(300),
        )
        .or_else(|_| {
            render_labels(
                &template,
                std::slice::from_ref(&label),
                OutputFormat::Pdf,
                &options(600),
            )
        })
        .unwrap();
        let pdf = dir.path().join(format!("{}.pdf", template.name));
        std::fs::write(&pdf, &doc.files[0]).unwrap();
        let text = pdftotext(&pdf);
        let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
        // Wrapped after "Staging -", which pdftotext takes for a hyphenated word and joins.
        assert!(
            flat.contains("Staging") && flat.contains("warehouse scanners"),
            "{}: profile name in {flat:?}",
            template.name
        );
        assert!(
            flat.contains("2026-12-31"),
            "{}: token expiry in {flat:?}",
            template.name
        );
        assert!(
            flat.contains("CONTAINS WI-FI CREDENTIALS"),
            "{}: the warning in {flat:?}",
            template.name
        );
        for secret in secrets {
            assert!(
                !text.contains(secret),
                "{}: {secret:?} is in the PDF's text",
                template.name
            );
        }
        let raw = String::from_utf8_lossy(&doc.files[0]);
        for secret in secrets {
            assert!(
                !raw.contains(secret),
                "{}: {secret:?} in the PDF's bytes",
                template.name
            );
        }
    }
}
