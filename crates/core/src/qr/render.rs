//! Drawing a [`QrCode`]: PNG, SVG and terminal text.
//!
//! Every output includes the [`QUIET_ZONE`] and gives each module a whole number of pixels
//! (or character cells), so nothing is resampled: resampled bitmaps are what make printed
//! codes unreadable on 203 dpi label printers (pain point 7).

use std::fmt::Write as _;

use image::{ExtendedColorType, ImageEncoder};

use super::{QrCode, QrError, QUIET_ZONE};

impl QrCode {
    /// Whether the module at (`x`, `y`) counted from the top-left corner of the quiet zone is
    /// dark. Negative positions and positions past the symbol are light.
    fn is_dark_padded(&self, x: usize, y: usize) -> bool {
        x >= QUIET_ZONE && y >= QUIET_ZONE && self.is_dark(x - QUIET_ZONE, y - QUIET_ZONE)
    }

    /// Grayscale PNG, black on white, `module_px`×`module_px` pixels per module, quiet zone
    /// included: `(width + 8) * module_px` pixels per side.
    pub fn to_png(&self, module_px: u32) -> Result<Vec<u8>, QrError> {
        if module_px == 0 {
            return Err(QrError::ModuleSizeZero);
        }
        let modules = self.side_modules();
        let too_large = QrError::ImageTooLarge { modules, module_px };
        let side = u32::try_from(modules)
            .ok()
            .and_then(|m| m.checked_mul(module_px))
            .ok_or(too_large.clone())?;
        let side_px = usize::try_from(side).map_err(|_| too_large.clone())?;
        let pixels_total = side_px.checked_mul(side_px).ok_or(too_large)?;
        let scale = side_px / modules;

        let mut pixels = vec![u8::MAX; pixels_total];
        for (y, row) in pixels.chunks_exact_mut(side_px).enumerate() {
            for (x, pixel) in row.iter_mut().enumerate() {
                if self.is_dark_padded(x / scale, y / scale) {
                    *pixel = 0;
                }
            }
        }
        let mut png = Vec::new();
        image::codecs::png::PngEncoder::new(&mut png)
            .write_image(&pixels, side, side, ExtendedColorType::L8)
            .map_err(|error| QrError::Png(error.to_string()))?;
        Ok(png)
    }

    /// SVG with a white background and one black path, quiet zone included. The view box is
    /// in modules; `width`/`height` are `(width + 8) * module_px` pixels. `crispEdges` keeps
    /// module edges on whole pixels. Each horizontal run of dark modules is one subpath
    /// `M{x} {y}h{run}v1h-{run}z`.
    pub fn to_svg(&self, module_px: u32) -> String {
        let modules = self.side_modules();
        let side_px = u64::try_from(modules).unwrap_or(u64::MAX) * u64::from(module_px);
        let mut path = String::new();
        for y in 0..modules {
            let mut x = 0;
            while x < modules {
                if !self.is_dark_padded(x, y) {
                    x += 1;
                    continue;
                }
                let start = x;
                while x < modules && self.is_dark_padded(x, y) {
                    x += 1;
                }
                let run = x - start;
                write!(path, "M{start} {y}h{run}v1h-{run}z").expect("writing to a String");
            }
        }
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"{side_px}\" \
             height=\"{side_px}\" viewBox=\"0 0 {modules} {modules}\" shape-rendering=\"crispEdges\">\
             <rect width=\"{modules}\" height=\"{modules}\" fill=\"#ffffff\"/>\
             <path fill=\"#000000\" d=\"{path}\"/></svg>\n"
        )
    }

    /// Terminal text: one character per module across, two modules down (`▀`, `▄`, `█`,
    /// space), quiet zone included, lines ending in `\n`.
    ///
    /// Colors are inverted: *light* modules are drawn as blocks and dark modules are left as
    /// background. Terminals draw blocks in the text color, which on the usual dark theme is
    /// light, so the code shows the right way round with a proper light quiet zone. On a
    /// light-background terminal the code appears inverted (light on dark); many readers
    /// (ZXing, iOS camera) accept that, but the Android setup wizard may not — show the PNG
    /// there. No ANSI colors are used, so the text survives copy-paste into a ticket or a file.
    pub fn to_terminal(&self) -> String {
        let modules = self.side_modules();
        // Past the bottom edge (odd module count) nothing is drawn, as for a dark module.
        let lit = |x: usize, y: usize| y < modules && !self.is_dark_padded(x, y);
        let mut out = String::with_capacity((modules + 1) * modules.div_ceil(2) * 3);
        for y in (0..modules).step_by(2) {
            for x in 0..modules {
                out.push(match (lit(x, y), lit(x, y + 1)) {
                    (true, true) => '█',
                    (true, false) => '▀',
                    (false, true) => '▄',
                    (false, false) => ' ',
                });
            }
            out.push('\n');
        }
        out
    }
}
