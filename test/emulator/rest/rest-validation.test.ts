import { describe, expect, it } from "vitest";
import { REST_ERRORS, RestHttpError, restError, toErrorResponse } from "../../../emulator/src/rest/rest-errors";
import {
  parseMaxPageSize,
  parseTop,
  parseTtlSeconds,
  validateConnectionId,
  validateFilter,
  validateGroup,
  validateHub,
  validatePermission,
  validateUserId,
} from "../../../emulator/src/rest/rest-validation";

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    return error instanceof RestHttpError ? `${error.status} ${error.code}` : String(error);
  }
}

describe("parameter validation", () => {
  it.each<[string, () => unknown, string | undefined]>([
    ["hub hub1", () => validateHub("hub1"), undefined],
    ["hub with every allowed char", () => validateHub("A_b`,.[]9"), undefined],
    ["hub of 128 chars", () => validateHub("h".repeat(128)), undefined],
    ["hub of 129 chars", () => validateHub("h".repeat(129)), "400 InvalidHubName"],
    ["hub with a dash", () => validateHub("my-hub"), "400 InvalidHubName"],
    ["hub starting with a digit", () => validateHub("1hub"), "400 InvalidHubName"],
    ["empty hub", () => validateHub(""), "400 InvalidHubName"],
    ["group 'g 1'", () => validateGroup("g 1"), undefined],
    ["group of 1024 chars", () => validateGroup("g".repeat(1024)), undefined],
    ["group of 1025 chars", () => validateGroup("g".repeat(1025)), "400 InvalidGroupName"],
    ["empty group", () => validateGroup(""), "400 InvalidGroupName"],
    ["whitespace group", () => validateGroup(" \t "), "400 InvalidGroupName"],
    ["user u", () => validateUserId("u"), undefined],
    ["empty user", () => validateUserId(""), "400 InvalidUserId"],
    ["empty connection", () => validateConnectionId(""), "400 InvalidConnectionId"],
    ["permission sendToGroup", () => validatePermission("sendToGroup"), undefined],
    ["permission joinLeaveGroup", () => validatePermission("joinLeaveGroup"), undefined],
    ["permission SendToGroup", () => validatePermission("SendToGroup"), "400 InvalidPermission"],
    ["ttl 0", () => parseTtlSeconds("0"), undefined],
    ["ttl 300", () => parseTtlSeconds("300"), undefined],
    ["ttl 301", () => parseTtlSeconds("301"), "400 InvalidQueryParameter"],
    ["ttl -1", () => parseTtlSeconds("-1"), "400 InvalidQueryParameter"],
    ["ttl 1.5", () => parseTtlSeconds("1.5"), "400 InvalidQueryParameter"],
    ["ttl abc", () => parseTtlSeconds("abc"), "400 InvalidQueryParameter"],
    ["ttl empty", () => parseTtlSeconds(""), "400 InvalidQueryParameter"],
    ["maxpagesize 1", () => parseMaxPageSize("1"), undefined],
    ["maxpagesize 200", () => parseMaxPageSize("200"), undefined],
    ["maxpagesize 0", () => parseMaxPageSize("0"), "400 InvalidQueryParameter"],
    ["maxpagesize 201", () => parseMaxPageSize("201"), "400 InvalidQueryParameter"],
    ["top 1", () => parseTop("1"), undefined],
    ["top 0", () => parseTop("0"), "400 InvalidQueryParameter"],
    ["filter ok", () => validateFilter("userId eq 'a'"), undefined],
    ["filter bad", () => validateFilter("userId eq"), "400 InvalidFilter"],
  ])("%s", (_name, fn, expected) => {
    expect(codeOf(fn)).toBe(expected);
  });

  it("parses values exactly", () => {
    expect([parseTtlSeconds("10"), parseTtlSeconds(undefined), parseMaxPageSize("7"), parseTop("3")]).toEqual([10, undefined, 7, 3]);
    expect([validateFilter(""), validateFilter(undefined), validateFilter("'g' in groups")]).toEqual([undefined, undefined, "'g' in groups"]);
  });

  it("names the problem in the message and cuts long echoes", () => {
    expect(codeOf(() => parseTtlSeconds("301"))).toBe("400 InvalidQueryParameter");
    expect(() => parseTtlSeconds("301")).toThrow("Invalid messageTtlSeconds '301': it must be an integer between 0 and 300.");
    expect(() => validateFilter("userId eq")).toThrow("Invalid filter: expected a value but found the end of the filter at position 10.");
    expect(() => validateHub("x-".repeat(100))).toThrow(`Invalid hub name '${"x-".repeat(32)}...'`);
  });
});

describe("the REST error catalogue", () => {
  it.each(Object.entries(REST_ERRORS))("%s has an error status and a sentence", (code, entry) => {
    expect(entry.status).toBeGreaterThanOrEqual(400);
    expect(entry.status).toBeLessThan(600);
    expect(entry.message).toMatch(/^[A-Z].*\.$/);
    const error = restError(code as keyof typeof REST_ERRORS);
    expect([error.status, error.code, error.message]).toEqual([entry.status, code, entry.message]);
  });

  it("hides unexpected errors behind a 500", () => {
    const error = toErrorResponse(new Error("secret stack detail"));
    expect([error.status, error.code, error.message]).toEqual([500, "InternalServerError", "The service failed to process the request."]);
  });
});
