//! A 1-bit raster at printer resolution: one bit per printer dot, rows packed MSB first,
//! `1` = black (as ZPL `^GF` and thermal print heads count). Everything on a label is drawn in
//! whole dots, so nothing is resampled on the way to the printer.

/// A black-and-white image, one bit per dot.
#[derive(Clone, PartialEq, Eq)]
pub struct Bitmap {
    width: u32,
    height: u32,
    stride: usize,
    bits: Vec<u8>,
}

impl std::fmt::Debug for Bitmap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The dots can be a token's QR code: show only the size.
        f.debug_struct("Bitmap")
            .field("width", &self.width)
            .field("height", &self.height)
            .finish_non_exhaustive()
    }
}

impl Bitmap {
    /// A white bitmap of `width × height` dots.
    pub fn new(width: u32, height: u32) -> Bitmap {
        let stride = (width as usize).div_ceil(8);
        Bitmap {
            width,
            height,
            stride,
            bits: vec![0; stride * height as usize],
        }
    }

    /// A bitmap from packed rows (`stride` = `ceil(width / 8)` bytes each, MSB first, 1 = black).
    /// `None` when the byte count does not match.
    pub fn from_packed(width: u32, height: u32, bits: Vec<u8>) -> Option<Bitmap> {
        let stride = (width as usize).div_ceil(8);
        (bits.len() == stride * height as usize).then_some(Bitmap {
            width,
            height,
            stride,
            bits,
        })
    }

    /// Width in dots.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in dots.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Bytes per row.
    pub fn stride(&self) -> usize {
        self.stride
    }

    /// The packed rows, top to bottom (padding bits at the end of each row are 0).
    pub fn packed(&self) -> &[u8] {
        &self.bits
    }

    /// Whether the dot at (`x`, `y`) is black; outside the bitmap everything is white.
    pub fn get(&self, x: u32, y: u32) -> bool {
        x < self.width
            && y < self.height
            && self.bits[y as usize * self.stride + x as usize / 8] & (0x80 >> (x % 8)) != 0
    }

    /// Sets one dot; outside the bitmap nothing happens.
    pub fn set(&mut self, x: u32, y: u32, black: bool) {
        if x < self.width && y < self.height {
            let byte = &mut self.bits[y as usize * self.stride + x as usize / 8];
            if black {
                *byte |= 0x80 >> (x % 8);
            } else {
                *byte &= !(0x80 >> (x % 8));
            }
        }
    }

    /// Fills a rectangle (clipped to the bitmap).
    pub fn fill(&mut self, x: u32, y: u32, w: u32, h: u32, black: bool) {
        let x_end = x.saturating_add(w).min(self.width);
        let y_end = y.saturating_add(h).min(self.height);
        if x >= x_end {
            return;
        }
        // Whole bytes where the span covers them, masks at its two ends.
        let (first, last) = (x as usize / 8, (x_end as usize - 1) / 8);
        let head = 0xffu8 >> (x % 8);
        let tail = 0xffu8 << (7 - (x_end - 1) % 8);
        for row in y..y_end {
            let line = &mut self.bits[row as usize * self.stride..(row as usize + 1) * self.stride];
            for (i, byte) in line[first..=last].iter_mut().enumerate() {
                let mut mask = 0xff;
                if i == 0 {
                    mask &= head;
                }
                if first + i == last {
                    mask &= tail;
                }
                if black {
                    *byte |= mask;
                } else {
                    *byte &= !mask;
                }
            }
        }
    }

    /// Copies `other` with its top-left corner at (`x`, `y`), black dots only (clipped).
    pub fn draw(&mut self, other: &Bitmap, x: u32, y: u32) {
        let fits = x
            .checked_add(other.width)
            .is_some_and(|end| end <= self.width)
            && y.checked_add(other.height)
                .is_some_and(|end| end <= self.height);
        if fits {
            // Whole bytes, shifted into place: pages of thousands of labels stay fast.
            let shift = x % 8;
            let start = x as usize / 8;
            for row in 0..other.height as usize {
                let src = &other.bits[row * other.stride..(row + 1) * other.stride];
                let dst_row = (y as usize + row) * self.stride;
                let dst = &mut self.bits[dst_row..dst_row + self.stride];
                for (i, &byte) in src.iter().enumerate() {
                    if byte == 0 {
                        continue;
                    }
                    dst[start + i] |= byte >> shift;
                    if shift > 0 {
                        // Padding bits are 0, so a spill past the last byte carries nothing.
                        if let Some(next) = dst.get_mut(start + i + 1) {
                            *next |= byte << (8 - shift);
                        }
                    }
                }
            }
            return;
        }
        for row in 0..other.height {
            for col in 0..other.width {
                if other.get(col, row) {
                    self.set(x.saturating_add(col), y.saturating_add(row), true);
                }
            }
        }
    }
}

/// Dots for a length in millimetres at `dpi`, rounded to the nearest dot.
pub fn mm_to_dots(mm: f64, dpi: u32) -> u32 {
    let dots = (mm * f64::from(dpi) / 25.4).round();
    if dots.is_finite() && dots > 0.0 {
        dots.min(f64::from(u32::MAX)) as u32
    } else {
        0
    }
}

/// Millimetres for a number of dots at `dpi`.
pub fn dots_to_mm(dots: u32, dpi: u32) -> f64 {
    f64::from(dots) * 25.4 / f64::from(dpi.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_get_fill_draw() {
        let mut b = Bitmap::new(10, 3);
        assert_eq!(b.stride(), 2);
        b.set(9, 2, true);
        assert!(b.get(9, 2) && !b.get(8, 2) && !b.get(10, 2));
        b.fill(0, 0, 3, 1, true);
        assert_eq!(b.packed()[0], 0b1110_0000);
        let mut big = Bitmap::new(20, 5);
        big.draw(&b, 10, 2);
        assert!(big.get(19, 4) && big.get(10, 2) && !big.get(13, 2));
        let mut span = Bitmap::new(24, 2);
        span.fill(3, 1, 14, 1, true);
        assert_eq!(&span.packed()[3..], &[0b0001_1111, 0xff, 0b1000_0000]);
        span.fill(4, 1, 2, 1, false);
        assert_eq!(span.packed()[3], 0b0001_0011);
        assert_eq!(mm_to_dots(25.4, 203), 203);
        assert_eq!(mm_to_dots(-1.0, 203), 0);
    }
}
