//! The rules a template keeps, checked on load: positive sizes within the bench's limits
//! ([`crate::limits`]: a label at most a metre a side, a sheet's labels and text sizes
//! bounded), elements inside the label, a sheet that fits its page, QR codes and barcodes with
//! their area to themselves, and an enrollment label with its payload QR and Wi-Fi warning.

use super::{ElementKind, Field, LabelKind, Template, TemplateProblem};
use crate::limits;

/// `what` is `value` (in `unit`), past `limit`.
fn over(what: &'static str, value: f64, unit: &str, limit: f64) -> TemplateProblem {
    let with_unit = |v: f64| match unit {
        "" => v.to_string(),
        unit => format!("{v} {unit}"),
    };
    TemplateProblem::OverLimit {
        what,
        value: with_unit(value),
        limit: with_unit(limit),
    }
}

impl Template {
    pub(super) fn check(&self) -> Result<(), (Option<String>, TemplateProblem)> {
        let positive = |v: f64| v.is_finite() && v > 0.0;
        if self.name.trim().is_empty() {
            return Err((None, TemplateProblem::ZeroSize("the template's name")));
        }
        if !positive(self.width_mm) {
            return Err((None, TemplateProblem::ZeroSize("width_mm")));
        }
        if !positive(self.height_mm) {
            return Err((None, TemplateProblem::ZeroSize("height_mm")));
        }
        for (what, mm) in [("width_mm", self.width_mm), ("height_mm", self.height_mm)] {
            if mm > limits::LABEL_SIDE_MM {
                return Err((None, over(what, mm, "mm", limits::LABEL_SIDE_MM)));
            }
        }
        if let Some(sheet) = &self.sheet {
            let per_sheet = u64::from(sheet.rows) * u64::from(sheet.columns);
            if per_sheet > u64::from(limits::LABELS_PER_SHEET) {
                let limit = f64::from(limits::LABELS_PER_SHEET);
                return Err((None, over("labels per sheet", per_sheet as f64, "", limit)));
            }
            if sheet.rows == 0 {
                return Err((None, TemplateProblem::ZeroSize("sheet.rows")));
            }
            if sheet.columns == 0 {
                return Err((None, TemplateProblem::ZeroSize("sheet.columns")));
            }
            let (page_w, page_h) = sheet.page.mm();
            let cols = f64::from(sheet.columns);
            let rows = f64::from(sheet.rows);
            let need_w =
                sheet.margin_left_mm + cols * self.width_mm + (cols - 1.0) * sheet.gap_x_mm;
            let need_h =
                sheet.margin_top_mm + rows * self.height_mm + (rows - 1.0) * sheet.gap_y_mm;
            let negative = [
                sheet.margin_left_mm,
                sheet.margin_top_mm,
                sheet.gap_x_mm,
                sheet.gap_y_mm,
            ]
            .iter()
            .any(|v| *v < 0.0 || !v.is_finite());
            if negative || need_w > page_w + 0.01 || need_h > page_h + 0.01 {
                return Err((
                    None,
                    TemplateProblem::SheetTooSmall {
                        columns: sheet.columns,
                        rows: sheet.rows,
                        label_w: self.width_mm,
                        label_h: self.height_mm,
                        need_w,
                        need_h,
                        page_w,
                        page_h,
                    },
                ));
            }
        }
        const EPS: f64 = 1e-6;
        for e in &self.elements {
            let a = e.area;
            let bad = |p| Err((Some(e.name.clone()), p));
            if !positive(a.w_mm) {
                return bad(TemplateProblem::ZeroSize("w_mm"));
            }
            if !positive(a.h_mm) {
                return bad(TemplateProblem::ZeroSize("h_mm"));
            }
            if !(a.x_mm.is_finite() && a.y_mm.is_finite())
                || a.x_mm < -EPS
                || a.y_mm < -EPS
                || a.x_mm + a.w_mm > self.width_mm + EPS
                || a.y_mm + a.h_mm > self.height_mm + EPS
            {
                return bad(TemplateProblem::OutsideLabel {
                    label_w: self.width_mm,
                    label_h: self.height_mm,
                    x: a.x_mm,
                    x_end: a.x_mm + a.w_mm,
                    y: a.y_mm,
                    y_end: a.y_mm + a.h_mm,
                });
            }
            match e.kind {
                ElementKind::Text {
                    size_pt, max_lines, ..
                } => {
                    if !positive(size_pt) {
                        return bad(TemplateProblem::ZeroSize("size_pt"));
                    }
                    if size_pt > limits::TEXT_SIZE_PT {
                        return bad(over("size_pt", size_pt, "pt", limits::TEXT_SIZE_PT));
                    }
                    if max_lines == 0 {
                        return bad(TemplateProblem::ZeroSize("max_lines"));
                    }
                }
                ElementKind::Warning { size_pt } if !positive(size_pt) => {
                    return bad(TemplateProblem::ZeroSize("size_pt"))
                }
                ElementKind::Warning { size_pt } if size_pt > limits::TEXT_SIZE_PT => {
                    return bad(over("size_pt", size_pt, "pt", limits::TEXT_SIZE_PT))
                }
                _ => {}
            }
        }
        for (i, e) in self.elements.iter().enumerate() {
            if !matches!(e.kind, ElementKind::Qr { .. } | ElementKind::Code128 { .. }) {
                continue;
            }
            if let Some(other) = self
                .elements
                .iter()
                .enumerate()
                .find(|(j, o)| *j != i && e.area.overlaps(&o.area))
            {
                return Err((
                    Some(e.name.clone()),
                    TemplateProblem::Overlap {
                        other: other.1.name.clone(),
                    },
                ));
            }
        }
        if self.kind == LabelKind::Enrollment {
            if !self.elements.iter().any(|e| {
                matches!(
                    e.kind,
                    ElementKind::Qr {
                        field: Field::Payload
                    }
                )
            }) {
                return Err((None, TemplateProblem::NoPayloadQr));
            }
            if !self
                .elements
                .iter()
                .any(|e| matches!(e.kind, ElementKind::Warning { .. }))
            {
                return Err((None, TemplateProblem::NoWarning));
            }
        }
        Ok(())
    }
}
