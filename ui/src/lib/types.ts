// Types that cross the Rust ↔ UI boundary. They mirror the serde shapes of
// `stagebench_core::device::BenchDevice`, `stagebench_core::provisioning::PayloadSummary`,
// `stagebench_core::qr::QrFacts` and the app's `QrView` / `ApiError`.

/** An error from a Tauri command: a stable code the UI may act on, and a message for people. */
export interface ApiError {
  code: string;
  message: string;
}

export interface SerialObservation {
  source: string;
  value: string;
}

export interface BenchDevice {
  /** The adb transport serial (a USB serial or host:port); unique among attached devices. */
  key: string;
  /** adb state: "device", "unauthorized", "offline", … */
  state: string;
  /** What the technician should do next, when something is in the way. */
  next_step: string | null;
  /** The best serial to show (ro.serialno, else the USB one). */
  serial: string | null;
  serials: SerialObservation[];
  manufacturer: string | null;
  model: string | null;
  android_release: string | null;
  sdk: number | null;
  build_id: string | null;
  slot: string | null;
  /** Identity problems (placeholder serials, sources that disagree), each with its next step. */
  flags: string[];
  /** Set when reading the device failed (it vanished mid-read, …). */
  error: string | null;
}

export type BenchEvent =
  | { kind: "snapshot"; devices: BenchDevice[] }
  | { kind: "server-down"; message: string };

export interface PayloadSummary {
  kind: string;
  token_masked: string | null;
  wifi_ssid: string | null;
  wifi_security: string | null;
  wifi_password_masked: string | null;
  wifi_hidden: boolean | null;
  bytes: number;
  notes: string[];
  warnings: string[];
}

export interface QrFacts {
  version: number;
  ec_level: string;
  modules: number;
  quiet_zone: number;
  payload_bytes: number;
}

export interface QrView {
  summary: PayloadSummary;
  facts: QrFacts;
  /** One string per row of modules, "1" = dark, without the quiet zone. */
  rows: string[];
  /** The exact payload (it holds secrets): shown only when the technician reveals it. */
  payload: string;
}

export type QrSource =
  | { kind: "token"; token: string }
  | { kind: "export"; text: string }
  | { kind: "aosp"; text: string };

export interface WifiInput {
  ssid: string;
  security: "NONE" | "WPA" | "WEP" | "EAP";
  password: string | null;
  hidden: boolean;
}

export interface QrRequest {
  source: QrSource;
  wifi: WifiInput | null;
}
