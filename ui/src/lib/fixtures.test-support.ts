// Test fixtures shared by the UI unit tests (never imported by the app).
import type { BenchDevice } from "./types";

/** A bench card with every field empty but `over`: a device being read, in no batch. */
export function benchDevice(over: Partial<BenchDevice>): BenchDevice {
  return {
    key: "k", device_id: null, state: "device", next_step: null, serial: null, serials: [], manufacturer: null,
    model: null, android_release: null, sdk: null, build_id: null, slot: null, flags: [], error: null,
    slot_number: null, evidence: null, problems: [], intune: null, batch: null, stage: null, box_label: null,
    intune_checked_at: null, intune_gone_since: null, read_at: null, unplugged_at: null,
    status: { kind: "working", word: "Reading", icon: "spinner", tone: "info", next_step: "Wait.", remedy: null },
    ...over,
  };
}
