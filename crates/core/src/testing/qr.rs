//! Reading QR codes back from what the label code draws, with a decoder independent of the
//! encoder we ship (`rqrr`): the one helper core's tests and the end-to-end tests share.

use crate::label::raster::Bitmap;

/// Every QR code rqrr finds in a label's 1-bit raster (rendered, or read back from the ZPL a
/// printer got), as text.
pub fn decode_bitmap(raster: &Bitmap) -> Vec<String> {
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(
        raster.width() as usize,
        raster.height() as usize,
        |x, y| {
            if raster.get(x as u32, y as u32) {
                0
            } else {
                255
            }
        },
    );
    img.detect_grids()
        .into_iter()
        .filter_map(|g| g.decode().ok().map(|(_, text)| text))
        .collect()
}
