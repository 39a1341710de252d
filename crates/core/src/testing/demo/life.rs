//! What moves a demo device on: the bench (its QR shown for the device's batch, the
//! technician's Powered off), its own timers, the fake tenant, and the controls. A stuck device
//! does nothing by itself, not even power off, until advanced.

use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant};

use stagebench_adb::testing::FakeAuth;

use super::watch::Seen;
use super::{describe, Shared, Slot, END_USER};
use crate::demo::{DemoAction, DemoDevice, DemoFailure, DemoPhase};
use crate::testing::graph::{FakeEnrollmentFlow, Lifecycle};

/// Looks at the bench and moves the devices on, for as long as the bench runs.
pub(super) async fn run(shared: Arc<Shared>) {
    let every = (shared.step / 4).clamp(Duration::from_millis(20), Duration::from_millis(250));
    loop {
        tick(&shared).await;
        tokio::time::sleep(every).await;
    }
}

async fn tick(shared: &Shared) {
    if let Some(tenant) = &shared.tenant {
        tenant.advance_lifecycles();
    }
    let mut slots = shared.slots.lock().await;
    for slot in slots.iter_mut() {
        let seen = match &shared.store {
            Some(store) => store
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .look(&slot.addr.to_string(), &slot.spec.serial),
            None => Seen::default(),
        };
        by_itself(shared, slot, seen).await;
    }
    shared
        .looks
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
}

/// The steps a device takes without a control.
async fn by_itself(shared: &Shared, slot: &mut Slot, seen: Seen) {
    if slot.stuck {
        return;
    }
    if seen.powered_off && (DemoPhase::DeviceOwner..DemoPhase::PoweredOff).contains(&slot.phase) {
        power_off(shared, slot).await;
        return;
    }
    let due = slot.due.is_some_and(|at| at <= Instant::now());
    match slot.phase {
        DemoPhase::Fresh if seen.qr_shown && !slot.awaiting_allow() => {
            start_provisioning(shared, slot)
        }
        DemoPhase::Provisioning | DemoPhase::DeviceOwner if due => {
            next_on_device(shared, slot).await
        }
        DemoPhase::PoweredOff | DemoPhase::InIntune => follow_tenant(shared, slot),
        _ => {}
    }
}

fn start_provisioning(shared: &Shared, slot: &mut Slot) {
    slot.phase = DemoPhase::Provisioning;
    slot.due = Some(Instant::now() + shared.step);
}

/// Provisioning → device owner → setup done, the evidence changing at each.
async fn next_on_device(shared: &Shared, slot: &mut Slot) {
    let (next, due) = match slot.phase {
        DemoPhase::Provisioning => (DemoPhase::DeviceOwner, Some(Instant::now() + shared.step)),
        _ => (DemoPhase::SetupDone, None),
    };
    slot.phase = next;
    slot.due = due;
    show(shared, slot).await;
}

/// Gives the device the evidence of its phase and boot count; adb sees it come back.
async fn show(shared: &Shared, slot: &mut Slot) {
    slot.spec.show(slot.phase, slot.boot_count);
    if let Some(device) = slot.device.take() {
        match shared
            .link
            .reseat(slot.addr, Some(device), &slot.spec.config)
            .await
        {
            Ok(device) => slot.device = Some(device),
            Err(error) => {
                tracing::warn!(%error, addr = %slot.addr, "demo bench: the device did not come back")
            }
        }
    }
}

/// It powers off (leaves adb) and the tenant will enroll it, then give it a user.
async fn power_off(shared: &Shared, slot: &mut Slot) {
    slot.phase = DemoPhase::PoweredOff;
    slot.powered = false;
    slot.due = None;
    slot.stuck = false;
    if let Some(device) = slot.device.take() {
        shared.link.down(slot.addr, device).await;
    }
    if let Some(tenant) = &shared.tenant {
        let realwear = slot.spec.realwear;
        tenant.schedule(Lifecycle {
            serial: slot.spec.serial.clone(),
            manufacturer: slot.spec.manufacturer.clone(),
            model: slot.spec.model.clone(),
            flow: if realwear {
                FakeEnrollmentFlow::AospUserless
            } else {
                FakeEnrollmentFlow::Staging
            },
            enrolls_after: shared.step,
            user: (!realwear).then(|| (END_USER.to_owned(), shared.step)),
        });
    }
}

/// In Intune once the tenant enrolled it; done once its user signed in there.
fn follow_tenant(shared: &Shared, slot: &mut Slot) {
    let Some(tenant) = &shared.tenant else {
        return;
    };
    if let Some(id) = tenant.scheduled_device_id(&slot.spec.serial) {
        slot.phase = slot.phase.max(DemoPhase::InIntune);
        if tenant.primary_user(&id).is_some() {
            slot.phase = DemoPhase::UserSignedIn;
        }
    }
}

/// Does a control on device `number`.
pub(super) async fn act(
    shared: &Shared,
    number: u32,
    action: DemoAction,
    failure: Option<DemoFailure>,
) -> Result<Vec<DemoDevice>, String> {
    let mut slots = shared.slots.lock().await;
    let count = slots.len();
    let slot = slots
        .iter_mut()
        .find(|s| s.number == number)
        .ok_or_else(|| {
            format!("there is no simulated device {number}: the bench has devices 1 to {count}")
        })?;
    match action {
        DemoAction::Plug => plug(shared, slot).await?,
        DemoAction::Unplug => unplug(shared, slot).await?,
        DemoAction::Allow => allow(shared, slot).await?,
        DemoAction::Advance => advance(shared, slot).await?,
        DemoAction::Fail => fail(shared, slot, failure).await?,
        DemoAction::PowerOn => power_on(shared, slot).await?,
    }
    Ok(describe(&slots))
}

/// Puts the device back on adb when it can be reached (plugged in and powered on).
async fn come_back(shared: &Shared, slot: &mut Slot) -> Result<(), String> {
    if slot.reachable() {
        let device = shared.link.up(slot.addr, &slot.spec.config).await;
        slot.device = Some(device.map_err(|e| {
            format!(
                "device {} could not come back on {}: {e}",
                slot.number, slot.addr
            )
        })?);
    }
    Ok(())
}

async fn plug(shared: &Shared, slot: &mut Slot) -> Result<(), String> {
    if slot.plugged {
        return Err(format!("device {} is already plugged in", slot.number));
    }
    slot.plugged = true;
    come_back(shared, slot).await
}

async fn unplug(shared: &Shared, slot: &mut Slot) -> Result<(), String> {
    if !slot.plugged {
        return Err(format!("device {} is already unplugged", slot.number));
    }
    slot.plugged = false;
    if let Some(device) = slot.device.take() {
        shared.link.down(slot.addr, device).await;
    }
    Ok(())
}

/// It boots again (one boot more) to the sign-in screen, back on adb when plugged.
async fn power_on(shared: &Shared, slot: &mut Slot) -> Result<(), String> {
    if slot.powered {
        return Err(format!("device {} is already on", slot.number));
    }
    slot.powered = true;
    slot.boot_count += 1;
    slot.spec.show(slot.phase, slot.boot_count);
    come_back(shared, slot).await
}

async fn allow(shared: &Shared, slot: &mut Slot) -> Result<(), String> {
    if !slot.awaiting_allow() || slot.phase == DemoPhase::UsbDebuggingOff {
        return Err(format!(
            "device {} is not asking to allow USB debugging",
            slot.number
        ));
    }
    slot.spec.config.auth = FakeAuth::AcceptAfterPrompt;
    show(shared, slot).await;
    Ok(())
}

async fn advance(shared: &Shared, slot: &mut Slot) -> Result<(), String> {
    slot.stuck = false;
    match slot.phase {
        DemoPhase::UsbDebuggingOff => {
            // Debugging on: the device now asks to allow this computer.
            slot.phase = DemoPhase::Fresh;
            slot.spec.config.auth = FakeAuth::Reject;
            if slot.reachable() {
                let device = shared.link.up(slot.addr, &slot.spec.config).await;
                slot.device = Some(device.map_err(|e| e.to_string())?);
            }
        }
        _ if slot.awaiting_allow() => return allow(shared, slot).await,
        DemoPhase::Fresh => start_provisioning(shared, slot),
        DemoPhase::Provisioning | DemoPhase::DeviceOwner => next_on_device(shared, slot).await,
        DemoPhase::SetupDone => power_off(shared, slot).await,
        DemoPhase::PoweredOff | DemoPhase::InIntune => {
            let Some(tenant) = &shared.tenant else {
                return Err("no fake tenant runs beside this bench: start it with the tenant to see Intune's side".into());
            };
            if slot.phase == DemoPhase::InIntune && slot.spec.realwear {
                return Err(format!(
                    "device {} is a RealWear headset enrolled userless: no user signs in",
                    slot.number
                ));
            }
            tenant.hurry(&slot.spec.serial);
            tenant.advance_lifecycles();
            follow_tenant(shared, slot);
        }
        DemoPhase::UserSignedIn => {
            return Err(format!(
                "device {} is done: its user has signed in",
                slot.number
            ))
        }
    }
    Ok(())
}

async fn fail(
    shared: &Shared,
    slot: &mut Slot,
    failure: Option<DemoFailure>,
) -> Result<(), String> {
    let enrolling = matches!(slot.phase, DemoPhase::DeviceOwner | DemoPhase::SetupDone);
    match failure.unwrap_or(if enrolling {
        DemoFailure::Reboot
    } else {
        DemoFailure::Stuck
    }) {
        DemoFailure::Reboot => {
            if slot.device.is_none() {
                return Err(format!("device {} is not on adb (unplugged, powered off or USB debugging off): a restart would go unseen", slot.number));
            }
            slot.boot_count += 1;
            show(shared, slot).await;
        }
        DemoFailure::Stuck => {
            if !(DemoPhase::Fresh..=DemoPhase::SetupDone).contains(&slot.phase) {
                return Err(format!(
                    "device {} has no step of its own left to get stuck in",
                    slot.number
                ));
            }
            slot.stuck = true;
        }
    }
    Ok(())
}

/// What the device is doing, in words.
pub(super) fn doing(slot: &Slot) -> String {
    let what = match slot.phase {
        DemoPhase::UsbDebuggingOff => {
            "USB debugging is off: adb can't see it (advance turns it on)"
        }
        _ if slot.awaiting_allow() => "Asking “Allow USB debugging?” (allow taps Allow)",
        DemoPhase::Fresh => "In the setup wizard, waiting for the bench's QR",
        DemoPhase::Provisioning => "Scanned the QR: downloading Android Device Policy",
        DemoPhase::DeviceOwner => "Intune's agent is device owner: finishing setup",
        DemoPhase::SetupDone => "At the sign-in screen: waiting to be powered off",
        DemoPhase::PoweredOff => "Powered off: Intune will show it soon",
        DemoPhase::InIntune if slot.spec.realwear => "In Intune (AOSP userless): done",
        DemoPhase::InIntune => "In Intune as Staging_…: waiting for its user",
        DemoPhase::UserSignedIn => "Its user signed in: done",
    };
    let mut out = what.to_owned();
    if !slot.powered && slot.phase > DemoPhase::PoweredOff {
        out.push_str(" (switched off: power on shows its card again)");
    } else if slot.powered && slot.phase >= DemoPhase::PoweredOff {
        out.push_str(" (switched on again)");
    }
    if !slot.plugged {
        out = format!("Unplugged. {out}");
    }
    if slot.stuck {
        out.push_str(" — stuck (advance moves it on)");
    }
    out
}

/// The controls that do something now.
pub(super) fn actions(slot: &Slot) -> Vec<DemoAction> {
    let mut out = vec![if slot.plugged {
        DemoAction::Unplug
    } else {
        DemoAction::Plug
    }];
    let done = slot.phase == DemoPhase::UserSignedIn
        || (slot.phase == DemoPhase::InIntune && slot.spec.realwear);
    if !done {
        out.push(DemoAction::Advance);
    }
    if !failures(slot).is_empty() {
        out.push(DemoAction::Fail);
    }
    if slot.awaiting_allow() && slot.phase != DemoPhase::UsbDebuggingOff {
        out.push(DemoAction::Allow);
    }
    if !slot.powered {
        out.push(DemoAction::PowerOn);
    }
    out
}

/// The ways it can go wrong now: a restart while adb sees it, stuck while it has a step of its
/// own left.
pub(super) fn failures(slot: &Slot) -> Vec<DemoFailure> {
    let mut out = Vec::new();
    if slot.device.is_some() {
        out.push(DemoFailure::Reboot);
    }
    if (DemoPhase::Fresh..=DemoPhase::SetupDone).contains(&slot.phase) && !slot.stuck {
        out.push(DemoFailure::Stuck);
    }
    out
}
