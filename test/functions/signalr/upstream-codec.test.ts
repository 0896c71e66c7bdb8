import { JsonHubProtocol, MessageType, NullLogger, type HubMessage, type InvocationMessage } from "@microsoft/signalr";
import { MessagePackHubProtocol } from "@microsoft/signalr-protocol-msgpack";
import { describe, expect, it } from "vitest";
import { encodeCompletion, varIntLength, type InvocationOutcome } from "../../../shared/signalr/signalr-completion";
import { parseUpstreamEvent, readUpstreamContext, type UpstreamContext } from "../../../shared/signalr/signalr-upstream-request";

const json = new JsonHubProtocol();
const msgpack = new MessagePackHubProtocol();
const logger = NullLogger.instance;

const context = (event: string, category = "messages"): UpstreamContext => ({ connectionId: "c1", hub: "chat", category, event, userId: "alice" });

/** The invocation as the real client writes it, minus the framing the service strips before upstream. */
function clientBody(protocol: "json" | "messagepack", message: InvocationMessage): Uint8Array {
  if (protocol === "json") return Buffer.from(json.writeMessage(message).slice(0, -1), "utf8");
  const framed = new Uint8Array(msgpack.writeMessage(message));
  let offset = 0;
  while (framed[offset] & 0x80) offset += 1;
  return framed.subarray(offset + 1);
}

function parsedBy(protocol: "json" | "messagepack", bytes: Buffer): HubMessage[] {
  return protocol === "json" ? json.parseMessages(bytes.toString("utf8"), logger) : msgpack.parseMessages(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer, logger);
}

describe("upstream requests", () => {
  it("reads the X-ASRS headers and refuses a request without them", () => {
    const headers = new Headers({ "x-asrs-connection-id": "c1", "x-asrs-hub": "chat", "x-asrs-category": "connections", "x-asrs-event": "connected", "x-asrs-user-id": "alice" });
    expect(readUpstreamContext(headers)).toEqual({ connectionId: "c1", hub: "chat", category: "connections", event: "connected", userId: "alice" });
    headers.delete("x-asrs-hub");
    expect(() => readUpstreamContext(headers)).toThrow(expect.objectContaining({ code: "InvalidUpstreamRequest", message: "Not a SignalR upstream request: the x-asrs-hub header is missing." }));
  });

  it.each([
    ["connected", context("connected", "connections"), "application/json", '{"type":10}', { kind: "connected" }],
    ["disconnected with an error (PascalCase, as Microsoft's emulator writes)", context("disconnected", "connections"), "application/json", '{"Type":11,"Error":"gone"}', { kind: "disconnected", error: "gone" }],
    ["disconnected cleanly", context("disconnected", "connections"), "application/json; charset=utf-8", '{"type":11}', { kind: "disconnected", error: null }],
  ])("parses %s", (_name, ctx, contentType, body, expected) => {
    expect(parseUpstreamEvent(ctx, contentType, Buffer.from(body))).toEqual({ ...expected, context: ctx });
  });

  it.each(["json", "messagepack"] as const)("parses a %s invocation exactly as the real client writes it", (protocol) => {
    const contentType = protocol === "json" ? "application/json" : "application/x-msgpack";
    const withId = clientBody(protocol, { type: MessageType.Invocation, invocationId: "7", target: "echo", arguments: ["x", 2, { a: [true, null] }] });
    expect(parseUpstreamEvent(context("echo"), contentType, withId)).toEqual({
      kind: "invocation", context: context("echo"), protocol, invocationId: "7", target: "echo", arguments: ["x", 2, { a: [true, null] }],
    });
    const fireAndForget = clientBody(protocol, { type: MessageType.Invocation, target: "broadcast", arguments: ["hi"] });
    expect(parseUpstreamEvent(context("Broadcast"), contentType, fireAndForget)).toMatchObject({ invocationId: undefined, target: "broadcast", arguments: ["hi"] });
  });

  it.each([
    ["a media type that is neither", context("echo"), "text/plain", "x", "UnsupportedContentType"],
    ["no media type", context("echo"), null, "x", "UnsupportedContentType"],
    ["bad JSON", context("echo"), "application/json", "{", "InvalidUpstreamRequest"],
    ["a JSON message that is not an invocation", context("echo"), "application/json", '{"type":6}', "InvalidUpstreamRequest"],
    ["a target other than X-ASRS-Event", context("echo"), "application/json", '{"type":1,"target":"other","arguments":[]}', "InvalidUpstreamRequest"],
    ["arguments that are not an array", context("echo"), "application/json", '{"type":1,"target":"echo","arguments":1}', "InvalidUpstreamRequest"],
    ["bytes that are not MessagePack", context("echo"), "application/x-msgpack", "\xc1", "InvalidUpstreamRequest"],
    ["an unknown category", context("x", "groups"), "application/json", "{}", "InvalidUpstreamRequest"],
  ])("refuses %s", (_name, ctx, contentType, body, code) => {
    expect(() => parseUpstreamEvent(ctx, contentType, Buffer.from(body, "latin1"))).toThrow(expect.objectContaining({ code }));
  });
});

describe("Completion bodies, read back by the real client's protocols", () => {
  const outcomes: [string, InvocationOutcome, Record<string, unknown>][] = [
    ["a result", { kind: "result", value: { n: 1, list: ["a", null] } }, { result: { n: 1, list: ["a", null] } }],
    ["an error", { kind: "error", message: "no handler" }, { error: "no handler" }],
    ["void", { kind: "void" }, {}],
  ];
  it.each((["json", "messagepack"] as const).flatMap((protocol) => outcomes.map(([name, outcome, fields]) => [protocol, name, outcome, fields] as const)))(
    "%s: %s",
    (protocol, _name, outcome, fields) => {
      const messages = parsedBy(protocol, encodeCompletion(protocol, "42", outcome));
      expect(messages).toHaveLength(1);
      expect(messages[0]).toMatchObject({ type: MessageType.Completion, invocationId: "42", ...fields });
      if (outcome.kind === "void") expect([(messages[0] as { result?: unknown }).result, (messages[0] as { error?: unknown }).error]).toEqual([undefined, undefined]);
    },
  );

  it("frames a JSON Completion with one record separator and MessagePack with a VarInt length", () => {
    expect(encodeCompletion("json", "1", { kind: "void" }).toString("utf8")).toBe('{"type":3,"invocationId":"1"}\u001e');
    expect([...encodeCompletion("messagepack", "1", { kind: "void" })]).toEqual([0x06, 0x94, 0x03, 0x80, 0xa1, 0x31, 0x02]);
    expect([...varIntLength(127)]).toEqual([0x7f]);
    expect([...varIntLength(128)]).toEqual([0x80, 0x01]);
    expect([...varIntLength(300_000)]).toEqual([0xe0, 0xa7, 0x12]);
  });
});
