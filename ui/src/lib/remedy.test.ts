import { describe, expect, it } from "vitest";
import { remedyAction } from "./remedy";

describe("remedyAction", () => {
  it("sends sign-in remedies to the Tenant screen", () => {
    expect(remedyAction({ step: "sign-in" })).toEqual({ label: "Sign in", view: "tenant" });
    expect(remedyAction({ step: "sign-in-again", account: "ana@contoso.com" })?.view).toBe("tenant");
  });
  it("sends printer steps to the Labels screen's panels", () => {
    expect(remedyAction({ step: "add-printer", name: "zebra" })).toEqual({
      label: "Add printer zebra",
      view: "labels",
      focus: "printer-add-name",
    });
    expect(remedyAction({ step: "retry-print-job", job: 12 })?.focus).toBe("print-queue-panel");
    expect(remedyAction({ step: "pick-template", kind: "device" })?.label).toBe("Pick a device template");
  });
  it("names the screen for batches and tokens", () => {
    expect(remedyAction({ step: "import-bench-pack", batch: "0123" })?.view).toBe("batches");
    expect(remedyAction({ step: "replace-token", profile: "COPE pilot" })?.view).toBe("profiles");
    expect(remedyAction({ step: "free-slot", number: 5 })?.label).toBe("Free slot 5");
  });
  it("gives no button for steps taken elsewhere, or no remedy", () => {
    expect(remedyAction({ step: "accept-usb-prompt" })).toBeNull();
    expect(remedyAction({ step: "reassign-primary-user" })).toBeNull();
    // Accepting a vendor key is offered in the report import dialog itself, with the fingerprint.
    expect(remedyAction({ step: "accept-vendor-key", fingerprint: "SHA256:x" })).toBeNull();
    expect(remedyAction(null)).toBeNull();
  });
});
