import { describe, expect, it } from "vitest";
import { SIGNALR_REST_ERRORS, signalrError, type SignalRRestErrorCode } from "../../emulator/src/signalr/signalr-errors";

describe("the SignalR error catalogue", () => {
  it.each(Object.keys(SIGNALR_REST_ERRORS) as SignalRRestErrorCode[])("%s has a level-prefixed code, an error status and a sentence", (code) => {
    const { status, message } = SIGNALR_REST_ERRORS[code];
    expect(code).toMatch(/^(Error|Warning|Info)\.[A-Z][A-Za-z.]+$/);
    expect(status).toBeGreaterThanOrEqual(400);
    expect(status).toBeLessThan(600);
    expect(message).toMatch(/^[A-Z'].*[.]$/);
    const error = signalrError(code);
    expect([error.status, error.code, error.message]).toEqual([status, code, message]);
  });

  it("gives the .NET SDK's expected not-found codes a 404", () => {
    for (const code of ["Warning.Connection.NotExisted", "Warning.User.NotExisted", "Warning.Group.NotExisted", "Info.User.NotInGroup", "Error.Connection.NotExisted"] as const) {
      expect(SIGNALR_REST_ERRORS[code].status).toBe(404);
    }
  });
});
