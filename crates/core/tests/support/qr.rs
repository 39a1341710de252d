//! Reading QR codes back from what the label code draws.

use stagebench_core::label::raster::Bitmap;

/// Every QR code rqrr finds in the raster, as text.
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
