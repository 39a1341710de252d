// Words and numbers for the tenant status strip, the Tenant screen and the Profiles screen.
// Pure functions of the state and the time, so they are tested without a backend.
import type { ProfileView, TenantState } from "./types";

export type Tone = "ok" | "warn" | "bad" | "muted";

/** Seconds as a countdown: "29 d 23 h", "5 h 02 min", "4 min 05 s", "45 s"; "0 s" at or past zero. */
export function formatCountdown(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const days = Math.floor(s / 86_400);
  const hours = Math.floor((s % 86_400) / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const secs = s % 60;
  const two = (n: number) => String(n).padStart(2, "0");
  if (days > 0) return `${days} d ${hours} h`;
  if (hours > 0) return `${hours} h ${two(minutes)} min`;
  if (minutes > 0) return `${minutes} min ${two(secs)} s`;
  return `${secs} s`;
}

/** Seconds from `nowMs` until the RFC 3339 time `iso`; null when there is none or it can't be read. */
export function secondsUntil(iso: string | null | undefined, nowMs: number): number | null {
  if (!iso) return null;
  const at = Date.parse(iso);
  return Number.isNaN(at) ? null : Math.floor((at - nowMs) / 1000);
}

/** "just now", "12 s ago", "3 min ago", "2 h ago", "3 d ago"; "never" without a time. */
export function ago(iso: string | null | undefined, nowMs: number): string {
  const left = secondsUntil(iso, nowMs);
  if (left === null) return "never";
  const s = Math.max(0, -left);
  if (s < 5) return "just now";
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}

/** The status strip in the nav bar, on every view. */
export interface StatusStrip {
  /** Connection badge. Offline is a plain badge: the outbox keeps every change. */
  badge: { text: string; tone: Tone; title: string };
  /** "Outbox 0", "Outbox 3 · 1 failed"; also counts changes being sent. */
  outbox: string;
  outboxTone: Tone;
  /** "synced 2 min ago", "syncing…", "never synced"; empty when signed out. */
  sync: string;
}

export function statusStrip(state: TenantState, nowMs: number): StatusStrip {
  const { pending, in_flight, failed } = state.outbox;
  const waiting = pending + in_flight;
  const outbox = failed > 0 ? `Outbox ${waiting} · ${failed} failed` : `Outbox ${waiting}`;
  const outboxTone: Tone = failed > 0 ? "bad" : "muted";
  let badge: StatusStrip["badge"];
  if (state.signIn) {
    badge = { text: "Signing in…", tone: "warn", title: `Enter code ${state.signIn.userCode} at ${state.signIn.verificationUri}` };
  } else if (!state.account) {
    badge = { text: "Not signed in", tone: "muted", title: "Sign in on the Tenant screen" };
  } else if (state.problem?.kind === "sign-in") {
    badge = { text: "Sign in again", tone: "warn", title: `${state.problem.message} ${state.problem.nextStep}` };
  } else if (state.online === false) {
    badge = { text: "Offline", tone: "muted", title: state.offlineReason ?? "Intune can't be reached; changes wait in the outbox" };
  } else if (state.online === true) {
    badge = { text: "Online", tone: "ok", title: `${state.account} · ${state.tenant ?? ""}` };
  } else {
    badge = { text: "Connecting…", tone: "muted", title: `${state.account} · ${state.tenant ?? ""}` };
  }
  let sync = "";
  if (state.account) sync = state.syncing ? "syncing…" : state.lastSync ? `synced ${ago(state.lastSync, nowMs)}` : "never synced";
  return { badge, outbox, outboxTone, sync };
}

/** The profile's token, in a word and a tone, live against the clock. */
export function tokenBadge(p: ProfileView, nowMs: number): { text: string; tone: Tone } {
  if (p.tokenState === "none") return { text: "no token", tone: "bad" };
  const left = secondsUntil(p.tokenExpires, nowMs);
  if (p.tokenState === "expired" || (left !== null && left <= 0)) return { text: "expired or revoked", tone: "bad" };
  if (left !== null && left < EXPIRY_WARNING_SECONDS) return { text: "expires soon", tone: "warn" };
  return { text: "valid", tone: "ok" };
}

/** Tokens closer than this to their expiry get a warning (the core warns at 7 days too). */
export const EXPIRY_WARNING_SECONDS = 7 * 86_400;

/** Whether the token can be shown now: valid by the list and not run out since. */
export function tokenUsable(p: ProfileView, nowMs: number): boolean {
  if (p.tokenState !== "valid") return false;
  const left = secondsUntil(p.tokenExpires, nowMs);
  return left === null || left > 0;
}

/** "expires in 29 d 23 h", "valid, no expiry given", "expired or revoked 2 d ago", "no token". */
export function tokenLine(p: ProfileView, nowMs: number): string {
  if (p.tokenState === "none") return "no token";
  if (!tokenUsable(p, nowMs)) return p.tokenExpires ? `expired or revoked ${ago(p.tokenExpires, nowMs)}` : "expired or revoked";
  const left = secondsUntil(p.tokenExpires, nowMs);
  return left === null ? "valid, no expiry given" : `expires in ${formatCountdown(left)}`;
}

/** The token type in words. */
export function tokenTypeLabel(tokenType: string): string {
  switch (tokenType) {
    case "deviceStaging":
      return "staging token";
    case "default":
      return "default token";
    case "corporateOwnedDedicatedDeviceWithAzureADSharedMode":
      return "shared device mode token";
    default:
      return tokenType ? `${tokenType} token` : "token";
  }
}

/** The longest token Intune or Google allows for the profile, in days, and why; null when none. */
export function tokenLimit(p: ProfileView): { days: number; why: string } | null {
  if (p.aosp) return { days: 90, why: "AOSP tokens last at most 90 days (Intune enforces it)." };
  if (p.mode === "corporateOwnedDedicatedDevice")
    return { days: 90, why: "Dedicated-device tokens last at most 90 days (Google enforces it)." };
  return null;
}

/** Why `days` can't be asked for, or null when it can. */
export function checkDays(p: ProfileView, days: number): string | null {
  if (!Number.isInteger(days) || days < 1) return "Give a whole number of days, 1 or more.";
  const limit = tokenLimit(p);
  if (limit && days > limit.days) return `${limit.why} Choose ${limit.days} days or fewer.`;
  if (days > 24_855) return "Graph takes at most about 68 years (24,855 days).";
  return null;
}

/** Usable tokens first (a technician picks one of those), then by name. */
export function sortProfiles(profiles: ProfileView[], nowMs: number): ProfileView[] {
  return [...profiles].sort((a, b) => {
    const ua = tokenUsable(a, nowMs) ? 0 : 1;
    const ub = tokenUsable(b, nowMs) ? 0 : 1;
    return ua - ub || a.displayName.localeCompare(b.displayName);
  });
}
