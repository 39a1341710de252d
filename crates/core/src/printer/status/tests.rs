//! Reading `~HS` answers (whole, partial, garbled) and IPP states as a printer status.

use super::zebra::STX;
use super::*;

/// A ZT410 at 203 dpi, idle, with a 4×6 in label (shaped like the guide's example).
const READY: &[u8] = b"\x02030,0,0,1218,000,0,0,0,000,0,0,0\x03\r\n\x02001,0,0,0,1,2,6,0,00000000,1,000\x03\r\n\x021234,0\x03\r\n";

#[test]
fn a_ready_answer_reads_every_field() {
    let status = HostStatus::parse(READY).unwrap().unwrap();
    assert_eq!(status.interface_settings, 30);
    assert_eq!(status.label_length_dots, 1218);
    assert!(!status.paper_out && !status.paused && !status.head_up && !status.ribbon_out);
    assert!(status.thermal_transfer);
    assert_eq!(status.print_mode_name(), Some("tear-off"));
    assert_eq!(status.static_ram, Some(false));
    let printer = PrinterStatus::from_host_status("Zebra-1", status);
    assert_eq!(printer.readiness, Readiness::Ready);
    assert_eq!(printer.hold_message(), None);
    assert_eq!(printer.to_string(), "ready");
}

#[test]
fn paper_out_and_paused_hold_with_what_to_do() {
    let answer = HostStatusAnswer {
        paper_out: true,
        paused: true,
        ..HostStatusAnswer::READY
    }
    .bytes();
    let status =
        PrinterStatus::from_host_status("Zebra-1", HostStatus::parse_complete(&answer).unwrap());
    assert_eq!(status.readiness, Readiness::NotReady);
    assert_eq!(status.conditions, [Condition::PaperOut, Condition::Paused]);
    assert_eq!(
            status.hold_message().unwrap(),
            "Zebra-1 is out of labels and is paused: load labels, then press PAUSE on the printer to resume and the queue sends it again"
        );
    let alone = HostStatusAnswer {
        paper_out: true,
        ..HostStatusAnswer::READY
    }
    .bytes();
    let status =
        PrinterStatus::from_host_status("Zebra-1", HostStatus::parse_complete(&alone).unwrap());
    assert_eq!(
        status.hold_message().unwrap(),
        "Zebra-1 is out of labels: load labels and the queue sends it again"
    );
}

#[test]
fn head_open_and_ribbon_out_come_from_string_two() {
    let answer = HostStatusAnswer {
        head_up: true,
        ribbon_out: true,
        ..HostStatusAnswer::READY
    }
    .bytes();
    let status = PrinterStatus::from_host_status("z", HostStatus::parse_complete(&answer).unwrap());
    assert_eq!(
        status.conditions,
        [Condition::RibbonOut, Condition::HeadOpen]
    );
    assert!(status
        .hold_message()
        .unwrap()
        .contains("load a ribbon, then close the print head"));
}

#[test]
fn warnings_alone_do_not_hold() {
    let answer = b"\x02030,0,0,0406,000,0,0,0,000,1,1,0\x03\r\n\x02001,0,0,0,0,2,6,0,00000000,1,000\x03\r\n\x021234,0\x03\r\n";
    let status = PrinterStatus::from_host_status("z", HostStatus::parse_complete(answer).unwrap());
    assert_eq!(
        status.conditions,
        [Condition::UnderTemperature, Condition::CorruptRam]
    );
    assert_eq!(
        (status.readiness, status.hold_message()),
        (Readiness::Ready, None)
    );
}

#[test]
fn partial_answers_ask_for_more() {
    for end in [0, 1, 10, 40, READY.len() - 10] {
        assert_eq!(HostStatus::parse(&READY[..end]), Ok(None), "{end} bytes");
    }
    let err = HostStatus::parse_complete(&READY[..40]).unwrap_err();
    assert_eq!(
        err,
        HostStatusError::Truncated {
            strings: 1,
            bytes: 40
        }
    );
    assert!(
        err.to_string().contains("stopped after 1 of its 3 strings"),
        "{err}"
    );
    // Without the last CR LF the answer is still whole.
    assert!(HostStatus::parse(&READY[..READY.len() - 2])
        .unwrap()
        .is_some());
}

#[test]
fn garbled_answers_are_errors_that_say_what() {
    let err = HostStatus::parse(b"@PJL INFO STATUS\r\n").unwrap_err();
    assert_eq!(err, HostStatusError::NotFramed { at: 0, byte: b'@' });
    assert!(
        err.to_string()
            .contains("does not answer ~HS as a Zebra does"),
        "{err}"
    );

    let short = b"\x02030,0,0,1218\x03\r\n\x02001\x03\r\n\x021234\x03\r\n";
    assert_eq!(
        HostStatus::parse(short),
        Err(HostStatusError::Fields {
            string: 1,
            expected: 12,
            found: 4
        })
    );

    let mut flag = READY.to_vec();
    flag[5] = b'7'; // paper-out flag
    let err = HostStatus::parse(&flag).unwrap_err();
    assert_eq!(
        err,
        HostStatusError::Field {
            string: 1,
            field: "paper-out flag",
            value: "7".into()
        }
    );

    let mut framing = READY.to_vec();
    framing[20] = STX;
    assert!(matches!(
        HostStatus::parse(&framing),
        Err(HostStatusError::NotFramed { byte: STX, .. })
    ));
    assert!(matches!(
        HostStatus::parse(b"\x02030,\x1b"),
        Err(HostStatusError::NotFramed { byte: 0x1b, .. })
    ));
}

#[test]
fn the_password_is_never_kept() {
    let status = HostStatus::parse_complete(READY).unwrap();
    assert!(!format!("{status:?}").contains("1234"));
    assert!(!serde_json::to_string(&status).unwrap().contains("1234"));
}

#[test]
fn ipp_states_and_reasons_map_to_conditions() {
    let mut ipp = IppPrinter {
        name: "Office".into(),
        state: "idle".into(),
        ..IppPrinter::default()
    };
    assert_eq!(
        PrinterStatus::from_ipp("Office", &ipp).readiness,
        Readiness::Ready
    );

    ipp.state = "stopped".into();
    ipp.state_reasons = vec![
        "media-empty-error".into(),
        "media-jam".into(),
        "toner-low-warning".into(),
        "cover-open-report".into(),
    ];
    ipp.state_message = Some("Load paper".into());
    let status = PrinterStatus::from_ipp("Office", &ipp);
    assert_eq!(status.readiness, Readiness::NotReady);
    assert_eq!(
        status.conditions,
        [Condition::PaperOut, Condition::MediaJam]
    );
    assert_eq!(status.detail.as_deref(), Some("Load paper"));
    assert_eq!(status.ipp_reasons.len(), 4);

    ipp.state_reasons = vec!["paused".into()];
    assert_eq!(
        PrinterStatus::from_ipp("Office", &ipp).conditions,
        [Condition::Paused]
    );
    ipp.state_reasons = vec!["offline-report".into()];
    assert_eq!(
        PrinterStatus::from_ipp("Office", &ipp).conditions,
        [Condition::Stopped]
    );
    ipp.state = "idle".into();
    ipp.accepting_jobs = Some(false);
    assert_eq!(
        PrinterStatus::from_ipp("Office", &ipp).conditions,
        [Condition::RejectingJobs]
    );
}
