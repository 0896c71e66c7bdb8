import { HttpResponse, type HttpResponseInit } from "@azure/functions";
import { describe, expect, it } from "vitest";
import { plainJsonResponse } from "../../host/response-writer";

/** What the Functions library itself would send for `init`: status, headers and body bytes. */
async function libraryResponse(init: HttpResponseInit) {
  const response = new HttpResponse(init);
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => (headers[name] = value));
  const bytes = response.body ? Buffer.from(await response.arrayBuffer()) : undefined;
  return { status: response.status, headers, body: bytes };
}

describe("plainJsonResponse", () => {
  it.each<[string, HttpResponseInit]>([
    ["jsonBody with a status", { status: 202, jsonBody: { target: { kind: "user", userId: "u1" }, bytes: 7 } }],
    ["jsonBody, default status", { jsonBody: ["a", 1, null] }],
    ["jsonBody with headers", { status: 200, jsonBody: { ok: true }, headers: { "Cache-Control": "no-store", "x-extra": "  padded  " } }],
    ["own content type", { status: 200, jsonBody: "text", headers: { "content-type": "application/problem+json" } }],
    ["jsonBody on 204 is dropped", { status: 204, jsonBody: { ignored: true } }],
    ["status alone", { status: 404 }],
    ["unicode", { status: 200, jsonBody: { text: "héllo ✓" } }],
  ])("writes the same status, headers and bytes as HttpResponse: %s", async (_name, init) => {
    const plain = plainJsonResponse(init);
    const body = plain?.body === undefined ? undefined : Buffer.from(plain.body, "utf8");
    expect({ ...plain, body }).toEqual(await libraryResponse(init));
  });

  it.each<[string, unknown]>([
    ["an HttpResponse", new HttpResponse({ status: 200 })],
    ["a string body", { status: 200, body: "text" }],
    ["cookies", { status: 200, jsonBody: {}, cookies: [{ name: "a", value: "b" }] }],
    ["a Headers object", { status: 200, jsonBody: {}, headers: new Headers({ a: "b" }) }],
    ["header names differing in case", { status: 200, jsonBody: {}, headers: { "X-A": "1", "x-a": "2" } }],
    ["an invalid header value", { status: 200, jsonBody: {}, headers: { "x-a": "line\nbreak" } }],
    ["an out-of-range status", { status: 99, jsonBody: {} }],
    ["undefined", undefined],
  ])("leaves %s to the library's path", (_name, result) => {
    expect(plainJsonResponse(result)).toBeUndefined();
  });
});
