import { describe, expect, it } from "vitest";
import { AppError, errorCatalogue, toErrorResponse } from "../../shared/errors";
import type { ErrorCode } from "../../shared/errors";

const codes = Object.keys(errorCatalogue) as ErrorCode[];

describe("error catalogue", () => {
  it("uses only the statuses the app promises", () => {
    const statuses = new Set(codes.map((code) => errorCatalogue[code].status));
    expect([...statuses].sort()).toEqual([400, 401, 403, 404, 413, 415, 500, 502]);
  });

  it.each(codes)("%s maps to its status and a one-sentence message", (code) => {
    const response = toErrorResponse(new AppError(code));
    expect(response).toEqual({ status: errorCatalogue[code].status, jsonBody: { code, message: errorCatalogue[code].message } });
    expect(response.jsonBody.message).toMatch(/^[A-Z].*\.$/);
  });

  it("keeps details but never lets them override code or message", () => {
    const error = new AppError("ServiceError", "Web PubSub answered 400 InvalidFilter: bad.", { serviceStatus: 400, code: "Spoofed" });
    expect(toErrorResponse(error)).toEqual({
      status: 502,
      jsonBody: { code: "ServiceError", message: "Web PubSub answered 400 InvalidFilter: bad.", serviceStatus: 400 },
    });
  });

  it("turns unexpected errors into a 500 without internals", () => {
    expect(toErrorResponse(new TypeError("secret stack detail"))).toEqual({
      status: 500,
      jsonBody: { code: "InternalError", message: "The function failed unexpectedly." },
    });
  });
});
