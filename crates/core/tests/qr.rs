//! QR encoding and rendering. Every rendering is decoded again by an independent decoder
//! (`rqrr`; `zbarimg` in one test) and compared with the payload byte for byte.

use std::process::Command;

use stagebench_core::provisioning::{Payload, WifiConfig, WifiSecurity};
use stagebench_core::qr::{
    EcLevel, QrCode, QrError, L_MAX_BYTES, M_MAX_BYTES, QUIET_ZONE, Q_MAX_BYTES,
};

/// Decodes the one QR code in a grayscale picture with rqrr; returns its raw bytes.
fn decode_gray(width: usize, height: usize, pixel: impl FnMut(usize, usize) -> u8) -> Vec<u8> {
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(width, height, pixel);
    let grids = image.detect_grids();
    assert_eq!(
        grids.len(),
        1,
        "expected exactly one QR code in the picture"
    );
    let mut bytes = Vec::new();
    grids[0]
        .decode_to(&mut bytes)
        .expect("rqrr decodes the code");
    bytes
}

/// Decodes a PNG file's bytes (through the `image` PNG decoder, so the PNG itself is checked).
fn decode_png(png: &[u8]) -> Vec<u8> {
    let image = image::load_from_memory_with_format(png, image::ImageFormat::Png).unwrap();
    assert_eq!(image.color(), image::ColorType::L8, "grayscale PNG");
    let gray = image.to_luma8();
    decode_gray(gray.width() as usize, gray.height() as usize, |x, y| {
        gray.get_pixel(x as u32, y as u32).0[0]
    })
}

/// Decodes a module grid (true = dark) drawn at `scale` pixels per module.
fn decode_grid(grid: &[Vec<bool>], scale: usize) -> Vec<u8> {
    let side = grid.len() * scale;
    decode_gray(
        side,
        side,
        |x, y| if grid[y / scale][x / scale] { 0 } else { 255 },
    )
}

/// The code's modules with the quiet zone, as `is_dark` reports them.
fn padded_grid(code: &QrCode) -> Vec<Vec<bool>> {
    let side = code.width() + 2 * QUIET_ZONE;
    (0..side)
        .map(|y| {
            (0..side)
                .map(|x| {
                    x >= QUIET_ZONE
                        && y >= QUIET_ZONE
                        && code.is_dark(x - QUIET_ZONE, y - QUIET_ZONE)
                })
                .collect()
        })
        .collect()
}

/// A payload of `n` bytes that the encoder can only put in byte mode.
fn bytes_payload(n: usize) -> Vec<u8> {
    b"{\"k\":\"x\"}".iter().copied().cycle().take(n).collect()
}

fn sample_payload() -> String {
    let wifi = WifiConfig::new(
        "Bench \"A\";\\ ☕",
        WifiSecurity::Wpa,
        Some("p\"a;s\\s:w,rd"),
        true,
    )
    .unwrap();
    Payload::android_enterprise("FAKETOKEN123", Some(&wifi))
        .unwrap()
        .qr_text()
        .to_owned()
}

#[test]
fn png_has_exact_geometry_and_decodes_at_several_module_sizes() {
    let payload = sample_payload();
    let code = QrCode::encode(payload.as_bytes()).unwrap();
    let grid = padded_grid(&code);
    let side_modules = code.width() + 8;
    for module_px in [1u32, 2, 3, 4, 7] {
        let png = code.to_png(module_px).unwrap();
        let image = image::load_from_memory(&png).unwrap().to_luma8();
        let m = module_px as usize;
        assert_eq!(image.width() as usize, side_modules * m);
        assert_eq!(image.height() as usize, side_modules * m);
        for (x, y, pixel) in image.enumerate_pixels() {
            let dark = grid[y as usize / m][x as usize / m];
            assert_eq!(
                pixel.0[0],
                if dark { 0 } else { 255 },
                "pixel ({x},{y}) at {module_px} px"
            );
        }
        if module_px >= 2 {
            assert_eq!(
                decode_png(&png),
                payload.as_bytes(),
                "module {module_px} px"
            );
        }
    }
    assert_eq!(code.to_png(0).unwrap_err(), QrError::ModuleSizeZero);
}

#[test]
fn svg_geometry_matches_the_modules_and_decodes() {
    let payload = sample_payload();
    let code = QrCode::encode(payload.as_bytes()).unwrap();
    let side = code.width() + 8;
    let svg = code.to_svg(5);
    let px = side * 5;
    assert!(
        svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""),
        "{svg:.80}"
    );
    assert!(svg.contains(&format!("width=\"{px}\" height=\"{px}\"")));
    assert!(svg.contains(&format!("viewBox=\"0 0 {side} {side}\"")));
    assert!(svg.contains("shape-rendering=\"crispEdges\""));
    assert!(svg.contains(&format!(
        "<rect width=\"{side}\" height=\"{side}\" fill=\"#ffffff\"/>"
    )));

    // Rasterize the path: every subpath is `M{x} {y}h{run}v1h-{run}z`.
    let d = svg
        .split(" d=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let mut grid = vec![vec![false; side]; side];
    for subpath in d.split('M').filter(|s| !s.is_empty()) {
        let (x, rest) = subpath.split_once(' ').unwrap();
        let (y, rest) = rest.split_once('h').unwrap();
        let (run, rest) = rest.split_once('v').unwrap();
        let (x, y, run): (usize, usize, usize) =
            (x.parse().unwrap(), y.parse().unwrap(), run.parse().unwrap());
        assert_eq!(rest, format!("1h-{run}z"));
        for cell in &mut grid[y][x..x + run] {
            assert!(!*cell, "module ({x},{y}) drawn twice");
            *cell = true;
        }
    }
    assert_eq!(grid, padded_grid(&code));
    assert_eq!(decode_grid(&grid, 4), payload.as_bytes());
}

#[test]
fn terminal_text_is_inverted_half_blocks_with_quiet_zone_and_decodes() {
    let payload = "FAKETOKEN123 terminal";
    let code = QrCode::encode(payload.as_bytes()).unwrap();
    let side = code.width() + 8;
    let text = code.to_terminal();
    let lines: Vec<&str> = text.lines().collect();
    assert!(text.ends_with('\n'));
    assert_eq!(lines.len(), side.div_ceil(2));
    // Back to modules: a drawn half is a *light* module (inverted for dark terminals).
    let mut grid = vec![vec![true; side]; side];
    for (row, line) in lines.iter().enumerate() {
        assert_eq!(line.chars().count(), side);
        for (x, c) in line.chars().enumerate() {
            let (top, bottom) = match c {
                '█' => (true, true),
                '▀' => (true, false),
                '▄' => (false, true),
                ' ' => (false, false),
                other => panic!("unexpected character {other:?}"),
            };
            grid[2 * row][x] = !top;
            if 2 * row + 1 < side {
                grid[2 * row + 1][x] = !bottom;
            } else {
                assert!(!bottom, "nothing is drawn below the last row");
            }
        }
    }
    assert_eq!(grid, padded_grid(&code));
    // The quiet zone is drawn: the first line is all full blocks.
    assert!(lines[0].chars().all(|c| c == '█'));
    assert_eq!(decode_grid(&grid, 4), payload.as_bytes());
}

#[test]
fn error_correction_follows_payload_size() {
    assert_eq!(Q_MAX_BYTES, 611);
    assert_eq!(M_MAX_BYTES, 2331);
    assert_eq!(L_MAX_BYTES, 2953);
    let cases = [
        (1, EcLevel::Q, None),
        (Q_MAX_BYTES, EcLevel::Q, Some(23)),
        (Q_MAX_BYTES + 1, EcLevel::M, None),
        (M_MAX_BYTES, EcLevel::M, Some(40)),
        (M_MAX_BYTES + 1, EcLevel::L, Some(36)),
        (L_MAX_BYTES, EcLevel::L, Some(40)),
    ];
    for (bytes, ec, version) in cases {
        assert_eq!(EcLevel::for_payload(bytes), ec, "{bytes} bytes");
        let data = bytes_payload(bytes);
        let code = QrCode::encode(&data).unwrap();
        assert_eq!(code.ec_level(), ec, "{bytes} bytes");
        if let Some(version) = version {
            assert_eq!(code.version(), version, "{bytes} bytes");
        }
        assert_eq!(code.width(), 17 + 4 * code.version() as usize);
        assert_eq!(decode_png(&code.to_png(3).unwrap()), data, "{bytes} bytes");
    }
    // Q_MAX_BYTES is exactly what version 23 holds at Q.
    assert_eq!(
        QrCode::encode_with(&bytes_payload(612), EcLevel::Q)
            .unwrap()
            .version(),
        24
    );
    // Real payloads: a plain Android Enterprise payload gets Q, one with Wi-Fi gets M.
    let plain = Payload::android_enterprise("FAKETOKEN1234567890A", None).unwrap();
    let code = QrCode::encode(plain.qr_text().as_bytes()).unwrap();
    assert_eq!((code.ec_level(), code.version()), (EcLevel::Q, 22));
    let wifi = WifiConfig::new("BenchNet", WifiSecurity::Wpa, Some("password123"), false).unwrap();
    let with_wifi = plain.with_wifi(&wifi).unwrap();
    let code = QrCode::encode(with_wifi.qr_text().as_bytes()).unwrap();
    assert_eq!(code.ec_level(), EcLevel::M);
}

#[test]
fn too_long_payloads_name_the_byte_count_and_the_maximum() {
    let error = QrCode::encode(&bytes_payload(L_MAX_BYTES + 1)).unwrap_err();
    assert_eq!(
        error,
        QrError::TooLong {
            bytes: 2954,
            max: 2953,
            ec: EcLevel::L
        }
    );
    let message = error.to_string();
    assert!(
        message.contains("2954 bytes") && message.contains("at most 2953 bytes"),
        "{message}"
    );
    for (ec, max) in [(EcLevel::H, 1273), (EcLevel::Q, 1663), (EcLevel::M, 2331)] {
        assert!(
            QrCode::encode_with(&bytes_payload(max), ec).is_ok(),
            "{ec} {max}"
        );
        let error = QrCode::encode_with(&bytes_payload(max + 1), ec).unwrap_err();
        assert_eq!(
            error,
            QrError::TooLong {
                bytes: max + 1,
                max,
                ec
            }
        );
    }
}

#[test]
fn module_size_to_fit_and_facts() {
    let code = QrCode::encode_with(b"FAKE", EcLevel::H).unwrap();
    assert_eq!((code.version(), code.width()), (1, 21));
    assert_eq!(code.module_px_to_fit(290), 10); // 29 modules with quiet zone
    assert_eq!(code.module_px_to_fit(289), 9);
    assert_eq!(code.module_px_to_fit(29), 1);
    assert_eq!(code.module_px_to_fit(10), 1);
    assert_eq!(code.module_px_to_fit(0), 1);
    let m = code.module_px_to_fit(400);
    let png = code.to_png(m).unwrap();
    let image = image::load_from_memory(&png).unwrap();
    assert!(image.width() <= 400 && image.width() + 29 > 400);

    let facts = code.facts();
    assert_eq!(
        (facts.version, facts.ec_level.as_str(), facts.modules),
        (1, "H", 21)
    );
    assert_eq!((facts.quiet_zone, facts.payload_bytes), (4, 4));
    let json = serde_json::to_value(&facts).unwrap();
    assert_eq!(json["ec_level"], "H");
    assert!(
        !format!("{code:?}").contains("true"),
        "Debug shows no modules"
    );
}

#[test]
fn android_enterprise_payload_with_tricky_wifi_round_trips_through_png() {
    let ssid = "Bench \"3\";\\ ☕😀";
    let password = "p\"a\\s;s:w,o{r}d ~";
    let wifi = WifiConfig::new(ssid, WifiSecurity::Wpa, Some(password), true).unwrap();
    let payload = Payload::android_enterprise("FAKE-TOKEN-Q1W2E3", Some(&wifi)).unwrap();
    let code = QrCode::encode(payload.qr_text().as_bytes()).unwrap();
    for module_px in [2, 4] {
        let decoded = decode_png(&code.to_png(module_px).unwrap());
        assert_eq!(decoded, payload.qr_text().as_bytes());
        let json: serde_json::Value = serde_json::from_slice(&decoded).unwrap();
        assert_eq!(json["android.app.extra.PROVISIONING_WIFI_SSID"], ssid);
        assert_eq!(
            json["android.app.extra.PROVISIONING_WIFI_PASSWORD"],
            password
        );
        assert_eq!(
            json["android.app.extra.PROVISIONING_WIFI_SECURITY_TYPE"],
            "WPA"
        );
        assert_eq!(json["android.app.extra.PROVISIONING_WIFI_HIDDEN"], true);
        assert_eq!(
            json["android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE"]
                ["com.google.android.apps.work.clouddpc.EXTRA_ENROLLMENT_TOKEN"],
            "FAKE-TOKEN-Q1W2E3"
        );
    }
}

/// The real `zbarimg` (Debian zbar-tools) reads our PNG as the payload, byte for byte.
#[test]
fn zbarimg_reads_the_png() {
    let ssid = "Bench \"3\";\\ ☕";
    let wifi = WifiConfig::new(ssid, WifiSecurity::Wpa, Some("p\"a\\s;s:w,o{r}d"), false).unwrap();
    let payload = Payload::android_enterprise("FAKE-TOKEN-ZBAR", Some(&wifi)).unwrap();
    let code = QrCode::encode(payload.qr_text().as_bytes()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("payload.png");
    std::fs::write(&path, code.to_png(4).unwrap()).unwrap();

    let output = match Command::new("zbarimg")
        .arg("-q")
        .arg("--raw")
        .arg(&path)
        .output()
    {
        Ok(output) => output,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            panic!("zbarimg not found: install zbar-tools (make test does this)")
        }
        Err(error) => panic!("running zbarimg: {error}"),
    };
    assert!(
        output.status.success(),
        "zbarimg failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let decoded = output.stdout.strip_suffix(b"\n").unwrap_or(&output.stdout);
    assert_eq!(decoded, payload.qr_text().as_bytes());
}
