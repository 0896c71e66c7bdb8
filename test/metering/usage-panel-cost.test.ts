import { describe, expect, it } from "vitest";
import { describeCost, payloadBytes } from "../../web/src/usage-panel";

describe("describeCost", () => {
  it.each([
    [1, 1, false, "1 byte: 1 billed unit per recipient."],
    [2048, 1, false, "2,048 bytes: 1 billed unit per recipient."],
    [2049, 2, true, "Warning: 2,049 bytes crosses a 2 KB boundary: 2 billed units per recipient; 1 byte fewer would cost 1."],
    [5000, 3, true, "Warning: 5,000 bytes crosses a 2 KB boundary: 3 billed units per recipient; 904 bytes fewer would cost 2."],
  ])("%i bytes", (bytes, units, crossesBoundary, text) => {
    expect(describeCost(bytes)).toEqual({ bytes, units, crossesBoundary, text });
  });
});

describe("payloadBytes", () => {
  it("counts UTF-8 bytes, not characters", () => {
    expect(payloadBytes("héllo")).toBe(6);
    expect(payloadBytes("€".repeat(683))).toBe(2049);
    expect(describeCost(payloadBytes("€".repeat(683))).units).toBe(2);
  });
});
