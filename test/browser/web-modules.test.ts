import { describe, expect, it } from "vitest";
import { initialConnectionView, nextConnectionView, type ConnectionEvent, type ConnectionStatus } from "../../web/src/connection-state";
import { FunctionCallError, serviceOriginOf } from "../../web/src/function-api";
import { buildBody, clientSdkData, describeReceived, padText } from "../../web/src/payload";
import { describeFailure } from "../../web/src/plain-errors";
import { isRecoveryUrl } from "../../web/src/socket-watch";

function run(events: ConnectionEvent[]): ConnectionStatus[] {
  let view = initialConnectionView;
  return events.map((event) => (view = nextConnectionView(view, event)).status);
}

describe("connection state shown by the page", () => {
  it.each<[string, ConnectionEvent[], ConnectionStatus[]]>([
    [
      "a fresh connection",
      [{ kind: "start-requested" }, { kind: "socket-opening", recovery: false }, { kind: "socket-open", recovery: false }, { kind: "sdk-connected", connectionId: "c1", userId: "u" }],
      ["connecting", "connecting", "connecting", "connected"],
    ],
    [
      "a dropped line that recovers",
      [{ kind: "sdk-connected", connectionId: "c1", userId: null }, { kind: "socket-closed" }, { kind: "socket-opening", recovery: true }, { kind: "socket-closed" }, { kind: "socket-opening", recovery: true }, { kind: "socket-open", recovery: true }],
      ["connected", "recovering", "recovering", "recovering", "recovering", "connected"],
    ],
    [
      "a failed recovery, then a new connection",
      [{ kind: "sdk-connected", connectionId: "c1", userId: null }, { kind: "socket-closed" }, { kind: "sdk-disconnected" }, { kind: "socket-opening", recovery: false }, { kind: "sdk-connected", connectionId: "c2", userId: null }],
      ["connected", "recovering", "disconnected", "connecting", "connected"],
    ],
    [
      "a user stop is not a drop",
      [{ kind: "sdk-connected", connectionId: "c1", userId: null }, { kind: "stop-requested" }, { kind: "socket-closed" }, { kind: "sdk-disconnected" }, { kind: "sdk-stopped" }],
      ["connected", "connected", "connected", "connected", "disconnected"],
    ],
  ])("%s", (_name, events, statuses) => {
    expect(run(events)).toEqual(statuses);
  });

  it("recognises the SDK's recovery URL", () => {
    expect(isRecoveryUrl("ws://h/client/hubs/chat?access_token=t&awps_connection_id=c&awps_reconnection_token=r")).toBe(true);
    expect(isRecoveryUrl("ws://h/client/hubs/chat?access_token=t")).toBe(false);
  });
});

describe("payloads", () => {
  it.each([
    ["text", "text/plain"],
    ["json", "application/json"],
    ["binary", "application/octet-stream"],
  ] as const)("%s is sent as %s with the UTF-8 bytes", (dataType, contentType) => {
    expect(buildBody(dataType, "é")).toEqual({ contentType, bytes: new Uint8Array([0xc3, 0xa9]) });
  });

  it("pads to an exact byte count and never shortens", () => {
    expect(padText("é", 4)).toBe("é  ");
    expect(padText("abc", 2)).toBe("abc");
  });

  it("gives the client SDK a string, parsed JSON or an ArrayBuffer", () => {
    expect(clientSdkData("text", "1")).toBe("1");
    expect(clientSdkData("json", '{"a":1}')).toEqual({ a: 1 });
    expect([...new Uint8Array(clientSdkData("binary", "AB") as ArrayBuffer)]).toEqual([65, 66]);
    expect(() => clientSdkData("json", "{")).toThrow(SyntaxError);
  });

  it.each([
    ["text", "héllo", { size: 6, preview: "héllo" }],
    ["json", { a: [1] }, { size: 9, preview: '{"a":[1]}' }],
    ["binary", new Uint8Array([0, 255]).buffer, { size: 2, preview: "00 ff (“\u0000\ufffd”)" }],
  ])("describes received %s data", (dataType, data, view) => {
    expect(describeReceived(dataType, data)).toEqual(view);
  });
});

describe("plain errors", () => {
  it.each([
    [new FunctionCallError(413, "PayloadTooLarge", "The body is larger than 1,048,576 bytes."), "Sending failed (413 PayloadTooLarge): The message is too large: the limit is 1,048,576 bytes (1 MB). The body is larger than 1,048,576 bytes."],
    [new FunctionCallError(0, "Unreachable", "x"), "Sending failed: the function app could not be reached. Check the base URL and that the app is running."],
    [new FunctionCallError(418, "Teapot", ""), "Sending failed (418 Teapot): The function app answered 418."],
    [{ errorDetail: { name: "Forbidden", message: "No." } }, "Sending failed (403 Forbidden): your connection has no permission for this. No."],
    [{ errorDetail: { name: "InternalServerError", message: "Upstream failed." } }, "Sending failed (InternalServerError): Upstream failed."],
    [new Error("boom"), "Sending failed: boom"],
  ])("describes %o", (error, text) => {
    expect(describeFailure("Sending", error)).toBe(text);
  });

  it("finds the service origin of a negotiated URL", () => {
    expect(serviceOriginOf("ws://localhost:8080/client/hubs/chat?access_token=x")).toBe("http://localhost:8080");
    expect(serviceOriginOf("wss://x.webpubsub.azure.com/client/hubs/chat")).toBe("https://x.webpubsub.azure.com");
    expect(serviceOriginOf("nope")).toBeUndefined();
  });
});
