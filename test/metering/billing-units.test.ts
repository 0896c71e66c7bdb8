import { describe, expect, it } from "vitest";
import { billedUnits, trafficUnits } from "../../common/billing-units";

describe("billedUnits (per-message rule)", () => {
  it.each([
    [0, 1],
    [1, 1],
    [1024, 1],
    [2048, 1],
    [2049, 2],
    [4096, 2],
    [4097, 3],
    [1024 * 1024, 512],
  ])("%i bytes cost %i unit(s)", (bytes, units) => {
    expect(billedUnits(bytes)).toBe(units);
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])("rejects %s", (bytes) => {
    expect(() => billedUnits(bytes)).toThrow(RangeError);
  });
});

describe("trafficUnits (aggregate rule)", () => {
  it.each([
    [0, 0],
    [1, 1],
    [3 * 1024, 2],
    [100 * 1024, 50],
    [44 * 1024, 22],
  ])("%i bytes in total cost %i unit(s)", (bytes, units) => {
    expect(trafficUnits(bytes)).toBe(units);
  });
});
