import { describe, expect, it } from "vitest";
import { toApiError } from "./backend";

describe("toApiError", () => {
  it("keeps a {code, message} from Rust", () => {
    expect(toApiError({ code: "invalid-input", message: "SSID too long" })).toEqual({
      code: "invalid-input",
      message: "SSID too long",
    });
  });
  it("wraps anything else as internal", () => {
    expect(toApiError("boom")).toEqual({ code: "internal", message: "boom" });
  });
});
