//! USB without hardware, finding devices: ADB interfaces by their class triple (any vendor,
//! among many interfaces, the debug capability too), serials and next steps when ADB is off or
//! access is denied, all over the scripted bus (`ScriptedUsb`), which implements the same
//! `UsbBackend` seam as libusb.
#![cfg(feature = "usb")]

use std::sync::Arc;

use stagebench_adb::usb::{
    AdbFunction, AdbInterfaceState, EndpointDescriptor, InterfaceClass, InterfaceDescriptor,
    NextStep, ScriptedDevice, ScriptedUsb, TransferKind, UsbBackend, UsbError, ADB_DBC_CLASS,
};

#[test]
fn phone_with_adb_shows_interface_and_strings() {
    let bus = ScriptedUsb::new();
    bus.plug(ScriptedDevice::phone("1-4.3", "R58M123")).unwrap();
    let devices = bus.list().unwrap();
    assert_eq!(devices.len(), 1);
    let info = &devices[0];
    assert_eq!((info.bus, info.port_path.as_str()), (1, "1-4.3"));
    assert_eq!(info.serial.as_deref(), Some("R58M123"));
    assert_eq!(info.product.as_deref(), Some("Pixel 8"));
    let AdbInterfaceState::Present(adb) = info.adb else {
        panic!("{:?}", info.adb)
    };
    assert_eq!(
        (adb.interface, adb.in_ep, adb.out_ep, adb.max_packet),
        (1, 0x82, 0x02, 512)
    );
    assert_eq!(adb.function, AdbFunction::Usb);
    assert_eq!(info.next_step(), None);
}

#[test]
fn adb_off_still_gives_serial_and_next_step() {
    let bus = ScriptedUsb::new();
    bus.plug(ScriptedDevice::phone("1-2", "SERIAL-OFF").adb_off())
        .unwrap();
    let info = bus.describe("1-2").unwrap();
    assert_eq!(info.adb, AdbInterfaceState::Absent);
    assert_eq!(info.serial.as_deref(), Some("SERIAL-OFF"));
    assert_eq!(info.vid_pid(), "18d1:4ee1");
    assert_eq!(info.next_step(), Some(NextStep::TurnOnUsbDebugging));
    assert!(NextStep::TurnOnUsbDebugging
        .to_string()
        .contains("Developer options"));
    let err = Arc::new(bus).open("1-2").unwrap_err();
    assert!(matches!(err, UsbError::NoAdbInterface { .. }), "{err}");
}

#[test]
fn any_vendor_is_found_by_class_triple_among_many_interfaces() {
    let bus = ScriptedUsb::new();
    // An unknown vendor, ADB as the fourth interface behind MTP, a CDC-like and an RNDIS-like
    // interface, with its own endpoint numbers and full-speed packets.
    let interfaces = vec![
        InterfaceDescriptor::mtp(0),
        InterfaceDescriptor {
            number: 1,
            alt_setting: 0,
            class: InterfaceClass {
                class: 0x02,
                subclass: 0x02,
                protocol: 0x01,
            },
            endpoints: vec![EndpointDescriptor {
                address: 0x83,
                kind: TransferKind::Interrupt,
                max_packet_size: 8,
            }],
        },
        InterfaceDescriptor {
            number: 2,
            alt_setting: 0,
            class: InterfaceClass {
                class: 0xe0,
                subclass: 0x01,
                protocol: 0x03,
            },
            endpoints: vec![
                EndpointDescriptor::bulk(0x84, 64),
                EndpointDescriptor::bulk(0x04, 64),
            ],
        },
        InterfaceDescriptor::adb(3, 0x85, 0x05, 64),
    ];
    bus.plug(
        ScriptedDevice::phone("2-1", "X")
            .ids(0xabcd, 0x0001)
            .interfaces(interfaces),
    )
    .unwrap();
    let AdbInterfaceState::Present(adb) = bus.describe("2-1").unwrap().adb else {
        panic!("no ADB interface found")
    };
    assert_eq!(
        (adb.interface, adb.in_ep, adb.out_ep, adb.max_packet),
        (3, 0x85, 0x05, 64)
    );
}

#[test]
fn debug_capability_interface_is_adb_too() {
    let bus = ScriptedUsb::new();
    let dbc = InterfaceDescriptor {
        number: 0,
        alt_setting: 0,
        class: ADB_DBC_CLASS,
        endpoints: vec![
            EndpointDescriptor::bulk(0x81, 1024),
            EndpointDescriptor::bulk(0x01, 1024),
        ],
    };
    bus.plug(ScriptedDevice::phone("3-1", "DBC").interfaces(vec![dbc]))
        .unwrap();
    let AdbInterfaceState::Present(adb) = bus.describe("3-1").unwrap().adb else {
        panic!("DbC not recognised")
    };
    assert_eq!(adb.function, AdbFunction::DebugCapability);
    assert_eq!(adb.max_packet, 1024);
}

#[test]
fn a_keyboard_has_no_adb_interface() {
    let bus = ScriptedUsb::new();
    let hid = InterfaceDescriptor {
        number: 0,
        alt_setting: 0,
        class: InterfaceClass {
            class: 0x03,
            subclass: 0x01,
            protocol: 0x01,
        },
        endpoints: vec![EndpointDescriptor {
            address: 0x81,
            kind: TransferKind::Interrupt,
            max_packet_size: 8,
        }],
    };
    bus.plug(
        ScriptedDevice::phone("1-1", "KB")
            .ids(0x046d, 0xc31c)
            .interfaces(vec![hid]),
    )
    .unwrap();
    let info = bus.describe("1-1").unwrap();
    assert_eq!(info.adb, AdbInterfaceState::Absent);
    assert_eq!(
        info.interface_classes,
        [InterfaceClass {
            class: 3,
            subclass: 1,
            protocol: 1
        }]
    );
}

#[test]
fn denied_access_is_unreadable_with_the_udev_fix() {
    let bus = ScriptedUsb::new();
    bus.plug(
        ScriptedDevice::phone("1-7", "HIDDEN")
            .ids(0x04e8, 0x6860)
            .access_denied(),
    )
    .unwrap();
    let info = bus.describe("1-7").unwrap();
    assert_eq!(info.serial, None);
    assert!(matches!(
        info.adb,
        AdbInterfaceState::Unreadable {
            has_adb_interface: true,
            ..
        }
    ));
    let step = info.next_step().unwrap().to_string();
    assert!(step.contains(r#"ATTR{idVendor}=="04e8""#), "{step}");
    let err = Arc::new(bus).open("1-7").unwrap_err();
    assert!(matches!(
        err,
        UsbError::PermissionDenied {
            vendor_id: 0x04e8,
            ..
        }
    ));
    assert!(err.to_string().contains("udev"), "{err}");
}
