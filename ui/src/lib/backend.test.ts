import { describe, expect, it } from "vitest";
import { keepUnchanged, toApiError } from "./backend";

describe("toApiError", () => {
  it("keeps a {code, message} from Rust", () => {
    expect(toApiError({ code: "invalid-input", message: "SSID too long" })).toEqual({
      code: "invalid-input",
      message: "SSID too long",
    });
  });
  it("keeps the remedy the core named, as data", () => {
    expect(toApiError({ code: "sign-in-needed", message: "Not signed in.", remedy: { step: "sign-in" } })).toEqual({
      code: "sign-in-needed",
      message: "Not signed in.",
      remedy: { step: "sign-in" },
    });
  });
  it("wraps anything else as internal", () => {
    expect(toApiError("boom")).toEqual({ code: "internal", message: "boom" });
  });
});

describe("keepUnchanged", () => {
  const key = (c: { key: string }) => c.key;
  it("hands back the previous object for a card that did not change, the new one otherwise", () => {
    const a = { key: "a", serial: "R5CR1", stage: { n: 1 } };
    const b = { key: "b", serial: "R5CR2", stage: { n: 1 } };
    const next = [
      { key: "b", serial: "R5CR2", stage: { n: 2 } },
      { key: "a", serial: "R5CR1", stage: { n: 1 } },
      { key: "c", serial: "R5CR3", stage: null },
    ];
    const kept = keepUnchanged([a, b], next, key);
    expect(kept).toEqual(next);
    expect(kept[1]).toBe(a);
    expect(kept[0]).toBe(next[0]);
    expect(kept[2]).toBe(next[2]);
  });
  it("keeps nothing from an empty bench", () => {
    const next = [{ key: "a" }];
    expect(keepUnchanged([], next, key)[0]).toBe(next[0]);
  });
});
