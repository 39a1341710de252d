//! Label templates within the bench's limits (`stagebench_core::limits`): a template asking for
//! a raster of petabytes, thousands of labels a sheet or elements, or text of a million points
//! is refused with an error naming the value and the limit (no abort, no hang), and a template
//! within its millimetre limits is still refused at a resolution that would make its raster
//! larger than [`RASTER_DOTS`].

use stagebench_core::label::template::TemplateProblem;
use stagebench_core::label::{
    render_labels, DeviceLabel, LabelData, LabelError, OutputFormat, RenderOptions, Template,
};
use stagebench_core::limits::{LABELS_PER_SHEET, RASTER_DOTS, TEMPLATE_ELEMENTS};
use stagebench_core::remedy::{HasRemedy, Remedy};

fn device_label() -> LabelData {
    LabelData::Device(DeviceLabel::serial("R5CR100001"))
}

fn refused(json: &str) -> (TemplateProblem, String) {
    let error = Template::from_json(json, "huge.json").unwrap_err();
    let message = error.to_string();
    (error.problem, message)
}

#[test]
fn a_label_of_petabytes_is_refused_on_load_naming_the_size_and_the_limit() {
    let (problem, message) = refused(
        r#"{"name":"huge","kind":"device","width_mm":1e9,"height_mm":1e9,"elements":[
            {"type":"text","field":"serial","size_pt":8,"x_mm":0,"y_mm":0,"w_mm":50,"h_mm":10}]}"#,
    );
    assert!(
        matches!(
            problem,
            TemplateProblem::OverLimit {
                what: "width_mm",
                ..
            }
        ),
        "{message}"
    );
    assert!(
        message.contains("width_mm is 1000000000 mm, more than the 1000 mm"),
        "{message}"
    );
}

#[test]
fn counts_and_text_sizes_past_their_limits_are_refused_on_load() {
    // Labels of a hundredth of a millimetre: millions on one A4 sheet.
    let (problem, message) = refused(
        r#"{"name":"dust","kind":"device","width_mm":0.01,"height_mm":0.01,
            "sheet":{"page":"a4","rows":20000,"columns":20000,"margin_top_mm":0,"margin_left_mm":0},
            "elements":[]}"#,
    );
    assert!(
        matches!(
            problem,
            TemplateProblem::OverLimit {
                what: "labels per sheet",
                ..
            }
        ),
        "{message}"
    );
    assert!(
        message.contains(&format!("more than the {LABELS_PER_SHEET}")),
        "{message}"
    );

    let element = r#"{"type":"text","text":"x","size_pt":6,"x_mm":0,"y_mm":0,"w_mm":1,"h_mm":1}"#;
    let elements = vec![element; TEMPLATE_ELEMENTS + 1].join(",");
    let (problem, message) = refused(&format!(
        r#"{{"name":"many","kind":"device","width_mm":50,"height_mm":30,"elements":[{elements}]}}"#
    ));
    assert!(
        matches!(
            problem,
            TemplateProblem::OverLimit {
                what: "elements",
                ..
            }
        ),
        "{message}"
    );

    let (problem, message) = refused(
        r#"{"name":"loud","kind":"device","width_mm":50,"height_mm":30,"elements":[
            {"type":"text","text":"x","size_pt":1e300,"x_mm":0,"y_mm":0,"w_mm":50,"h_mm":30}]}"#,
    );
    assert!(
        matches!(
            problem,
            TemplateProblem::OverLimit {
                what: "size_pt",
                ..
            }
        ),
        "{message}"
    );
}

#[test]
fn a_template_too_large_for_the_resolution_is_refused_before_its_raster_is_made() {
    // A metre by 10 cm is a label the bench accepts; at 1200 dpi its raster would be 223 M dots.
    let template = Template::from_json(
        r#"{"name":"banner","kind":"device","width_mm":1000,"height_mm":100,"elements":[
            {"type":"text","field":"serial","size_pt":8,"x_mm":0,"y_mm":0,"w_mm":50,"h_mm":10}]}"#,
        "banner.json",
    )
    .unwrap();
    let options = RenderOptions {
        dpi: 1200,
        refuse_wifi_credentials: false,
    };
    let error =
        render_labels(&template, &[device_label()], OutputFormat::Png, &options).unwrap_err();
    let message = error.to_string();
    assert!(
        matches!(error, LabelError::RasterTooLarge { .. }),
        "{message}"
    );
    assert!(
        message.contains("47244 × 4724 dots")
            && message.contains(&format!("more than the {RASTER_DOTS}")),
        "{message}"
    );
    assert_eq!(
        error.remedy(),
        Some(Remedy::PickTemplate {
            kind: "device".into()
        })
    );
    // The same label at 203 dpi is 8 k × 0.8 k dots: rendered.
    let options = RenderOptions {
        dpi: 203,
        ..options
    };
    assert!(render_labels(&template, &[device_label()], OutputFormat::Png, &options).is_ok());
}

#[test]
fn a_template_file_over_its_limit_is_refused_without_reading_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.json");
    std::fs::File::create(&path)
        .unwrap()
        .set_len(200 << 20)
        .unwrap();
    let error = Template::load(&path).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("is 200 MiB, over the 1 MiB limit: check that this is a label template"),
        "{error}"
    );
}
