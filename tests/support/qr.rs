//! Reading QR codes back with a decoder independent of the encoder we ship (`rqrr`), from
//! screenshots and rendered files.

use crate::wait::Look;

/// Decodes every QR code in a PNG with `rqrr`.
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

/// Decodes every QR code in a label's 1-bit raster (as read back from the ZPL a printer got).
pub use stagebench_core::testing::qr::decode_bitmap as decode_qr_bitmap;

/// Look: a screenshot's QR codes, once they are exactly `want`.
pub fn qr_codes_are(png: &[u8], want: &[String]) -> Look<Vec<String>> {
    let decoded = decode_qr_png(png);
    if decoded == want {
        Ok(decoded)
    } else {
        Err(format!("the screenshot's QR codes read {decoded:?}"))
    }
}
