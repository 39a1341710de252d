import { describe, expect, it } from "vitest";
import { toApiError } from "./backend";

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
