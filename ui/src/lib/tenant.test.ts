import { describe, expect, it } from "vitest";
import {
  ago,
  checkDays,
  formatCountdown,
  secondsUntil,
  sortProfiles,
  statusStrip,
  tokenBadge,
  tokenLimit,
  tokenLine,
  tokenTypeLabel,
  tokenUsable,
} from "./tenant";
import type { ProfileView, TenantState } from "./types";

const NOW = Date.parse("2026-03-01T10:00:00Z");
const DAY = 86_400;

function state(extra: Partial<TenantState> = {}): TenantState {
  return {
    tenant: "contoso.onmicrosoft.com",
    clientId: "00000000-1111-2222-3333-444444444444",
    account: "tech@contoso.com",
    displayName: null,
    signIn: null,
    online: true,
    offlineReason: null,
    syncing: false,
    lastSync: "2026-03-01T09:58:00Z",
    lastRefresh: null,
    lastDrain: null,
    outbox: { pending: 0, in_flight: 0, failed: 0 },
    problem: null,
    endpointOverrides: [],
    ...extra,
  };
}

function profile(extra: Partial<ProfileView> = {}): ProfileView {
  return {
    id: "p1",
    displayName: "Bench",
    description: null,
    mode: "corporateOwnedFullyManaged",
    modeLabel: "fully managed",
    tokenType: "deviceStaging",
    aosp: false,
    staging: true,
    tokenState: "valid",
    tokenExpires: new Date(NOW + 30 * DAY * 1000).toISOString(),
    tokenExpiresInSeconds: 30 * DAY,
    tokenCreated: null,
    tokenMasked: "••••••",
    qrAvailable: true,
    enrolledDeviceCount: 0,
    tokenUsageCount: null,
    wifiSsid: null,
    wifiHasPassword: false,
    warnings: [],
    ...extra,
  };
}

describe("countdowns", () => {
  it("shows the two largest units", () => {
    expect(formatCountdown(30 * DAY)).toBe("30 d 0 h");
    expect(formatCountdown(29 * DAY + 23 * 3600 + 59 * 60)).toBe("29 d 23 h");
    expect(formatCountdown(5 * 3600 + 2 * 60 + 9)).toBe("5 h 02 min");
    expect(formatCountdown(4 * 60 + 5)).toBe("4 min 05 s");
    expect(formatCountdown(45)).toBe("45 s");
    expect(formatCountdown(-3)).toBe("0 s");
  });
  it("counts from the clock, not from when the list was read", () => {
    expect(secondsUntil("2026-03-01T10:01:00Z", NOW)).toBe(60);
    expect(secondsUntil(null, NOW)).toBeNull();
    expect(secondsUntil("not a time", NOW)).toBeNull();
    expect(ago("2026-03-01T09:59:58Z", NOW)).toBe("just now");
    expect(ago("2026-03-01T09:59:30Z", NOW)).toBe("30 s ago");
    expect(ago("2026-03-01T09:57:00Z", NOW)).toBe("3 min ago");
    expect(ago("2026-02-27T10:00:00Z", NOW)).toBe("2 d ago");
    expect(ago(null, NOW)).toBe("never");
  });
});

describe("status strip", () => {
  it("online, outbox empty, last sync", () => {
    const s = statusStrip(state(), NOW);
    expect(s.badge).toMatchObject({ text: "Online", tone: "ok" });
    expect(s.outbox).toBe("Outbox 0");
    expect(s.sync).toBe("synced 2 min ago");
  });
  it("offline is a plain badge and the outbox counts what waits and what failed", () => {
    const s = statusStrip(
      state({ online: false, offlineReason: "no route", outbox: { pending: 3, in_flight: 1, failed: 2 } }),
      NOW,
    );
    expect(s.badge).toEqual({ text: "Offline", tone: "muted", title: "no route" });
    expect(s.outbox).toBe("Outbox 4 · 2 failed");
    expect(s.outboxTone).toBe("bad");
  });
  it("says when nobody is signed in, a sign-in waits, or it must be done again", () => {
    expect(statusStrip(state({ account: null, online: null }), NOW)).toMatchObject({
      badge: { text: "Not signed in" },
      sync: "",
    });
    const waiting = state({
      account: null,
      signIn: { userCode: "ABCD-1234", verificationUri: "https://microsoft.com/devicelogin", message: "", expiresAt: "" },
    });
    expect(statusStrip(waiting, NOW).badge.title).toContain("ABCD-1234");
    const refused = state({ problem: { kind: "sign-in", message: "No longer accepted.", nextStep: "Sign in again.", remedy: { step: "sign-in-again", account: "ana@contoso.com" } } });
    expect(statusStrip(refused, NOW).badge).toMatchObject({ text: "Sign in again", tone: "warn" });
    expect(statusStrip(state({ online: null, lastSync: null }), NOW)).toMatchObject({
      badge: { text: "Connecting…" },
      sync: "never synced",
    });
    expect(statusStrip(state({ syncing: true }), NOW).sync).toBe("syncing…");
  });
});

describe("profiles", () => {
  it("marks tokens valid, near expiry, expired (also when run out since the list), or missing", () => {
    expect(tokenBadge(profile(), NOW)).toEqual({ text: "valid", tone: "ok" });
    const soon = profile({ tokenExpires: new Date(NOW + 2 * DAY * 1000).toISOString() });
    expect(tokenBadge(soon, NOW).tone).toBe("warn");
    const ranOut = profile({ tokenExpires: new Date(NOW - 1000).toISOString() });
    expect(tokenBadge(ranOut, NOW).text).toBe("expired or revoked");
    expect(tokenUsable(ranOut, NOW)).toBe(false);
    expect(tokenLine(ranOut, NOW)).toBe("expired or revoked just now");
    const revokedLong = profile({ tokenState: "expired", tokenExpires: "2026-02-27T10:00:00Z" });
    expect(tokenLine(revokedLong, NOW)).toBe("expired or revoked 2 d ago");
    expect(tokenBadge(profile({ tokenState: "expired" }), NOW).tone).toBe("bad");
    expect(tokenLine(profile({ tokenState: "none", tokenExpires: null }), NOW)).toBe("no token");
    expect(tokenLine(profile(), NOW)).toBe("expires in 30 d 0 h");
    expect(tokenLine(profile({ tokenExpires: null }), NOW)).toBe("valid, no expiry given");
  });
  it("explains the 90-day limit for AOSP and dedicated, none for fully managed", () => {
    const aosp = profile({ aosp: true, mode: "corporateOwnedAOSPUserlessDevice" });
    expect(tokenLimit(aosp)?.days).toBe(90);
    expect(checkDays(aosp, 91)).toContain("at most 90 days");
    expect(checkDays(aosp, 90)).toBeNull();
    expect(checkDays(profile({ mode: "corporateOwnedDedicatedDevice" }), 120)).toContain("Google");
    expect(checkDays(profile(), 365)).toBeNull();
    expect(checkDays(profile(), 0)).toContain("1 or more");
    expect(checkDays(profile(), 2.5)).toContain("whole number");
  });
  it("lists usable tokens first, then by name, and names token types", () => {
    const list = [
      profile({ id: "x", displayName: "Zeta" }),
      profile({ id: "e", displayName: "Alpha", tokenState: "expired" }),
      profile({ id: "a", displayName: "Beta" }),
    ];
    expect(sortProfiles(list, NOW).map((p) => p.id)).toEqual(["a", "x", "e"]);
    expect(tokenTypeLabel("deviceStaging")).toBe("staging token");
    expect(tokenTypeLabel("default")).toBe("default token");
  });
});
