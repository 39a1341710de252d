// The only module that talks to Rust. Views import from here, never from @tauri-apps/api.
import { Channel, invoke } from "@tauri-apps/api/core";
import type { ApiError, BenchEvent, Check, QrRequest, QrView, Slot } from "./types";

/** Normalises whatever a command rejected with into an ApiError. */
export function toApiError(e: unknown): ApiError {
  if (e && typeof e === "object" && "code" in e && "message" in e) {
    const { code, message } = e as { code: unknown; message: unknown };
    return { code: String(code), message: String(message) };
  }
  return { code: "internal", message: String(e) };
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw toApiError(e);
  }
}

/** Streams bench snapshots: the full list of attached devices each time it changes. */
export async function watchBench(onEvent: (e: BenchEvent) => void): Promise<void> {
  const channel = new Channel<BenchEvent>();
  channel.onmessage = onEvent;
  await call<void>("bench_watch", { onEvent: channel });
}

/** Builds, checks and encodes a provisioning payload. */
export function renderQr(request: QrRequest): Promise<QrView> {
  return call<QrView>("qr_render", { request });
}

/** Runs the bench checks (data folder, adb server, adb tool, USB access). */
export function runDoctor(): Promise<Check[]> {
  return call<Check[]>("doctor_run");
}

/** Gives a port (USB port path or TCP address) a bench slot number. */
export function assignSlot(port: string, number: number, label: string | null): Promise<Slot> {
  return call<Slot>("slot_assign", { port, number, label });
}

/** Frees a slot number so another port can have it. */
export function freeSlot(number: number): Promise<Slot | null> {
  return call<Slot | null>("slot_free", { number });
}
