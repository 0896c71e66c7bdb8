import { JsonHubProtocol, MessageType, NullLogger, type HubMessage as ClientHubMessage } from "@microsoft/signalr";
import { MessagePackHubProtocol } from "@microsoft/signalr-protocol-msgpack";
import { describe, expect, it } from "vitest";
import { parseHandshake } from "../../emulator/src/signalr/handshake";
import type { HubMessage } from "../../emulator/src/signalr/hub-message";
import { jsonInvocationFrame, parseJsonMessages, serializeJsonMessage } from "../../emulator/src/signalr/json-hub-protocol";
import {
  messagePackInvocationFrame,
  parseMessagePackMessages,
  serializeMessagePackMessage,
  splitLengthPrefixed,
  writeLengthPrefix,
} from "../../emulator/src/signalr/messagepack-hub-protocol";

function arrayBufferOf(bytes: Buffer): ArrayBuffer {
  return new Uint8Array(bytes).buffer;
}

const clientJson = new JsonHubProtocol();
const clientMsgpack = new MessagePackHubProtocol();
const logger = NullLogger.instance;

/** Each message as ours writes it and as the official client reads it. */
const table: Array<{ name: string; message: HubMessage; client: Partial<ClientHubMessage> & { type: MessageType } }> = [
  { name: "invocation", message: { kind: "invocation", target: "newMessage", arguments: ["hi", { n: 1 }] }, client: { type: MessageType.Invocation, target: "newMessage", arguments: ["hi", { n: 1 }] } },
  { name: "completion with result", message: { kind: "completion", invocationId: "0", result: { a: [1, 2] }, hasResult: true }, client: { type: MessageType.Completion, invocationId: "0", result: { a: [1, 2] } } },
  { name: "completion with error", message: { kind: "completion", invocationId: "1", error: "nope", hasResult: false }, client: { type: MessageType.Completion, invocationId: "1", error: "nope" } },
  { name: "void completion", message: { kind: "completion", invocationId: "2", hasResult: false }, client: { type: MessageType.Completion, invocationId: "2" } },
  { name: "ping", message: { kind: "ping" }, client: { type: MessageType.Ping } },
  { name: "close with reconnect", message: { kind: "close", error: "bye", allowReconnect: true }, client: { type: MessageType.Close, error: "bye", allowReconnect: true } },
];

describe("what the service writes, the official client reads", () => {
  it.each(table)("JSON: $name", ({ message, client }) => {
    const [parsed] = clientJson.parseMessages(serializeJsonMessage(message), logger);
    expect(parsed).toMatchObject(client);
  });

  it.each(table)("MessagePack: $name", ({ message, client }) => {
    const frame = serializeMessagePackMessage(message);
    const [parsed] = clientMsgpack.parseMessages(arrayBufferOf(frame), logger);
    expect(parsed).toMatchObject(client);
  });

  it("REST invocations framed without parsing the arguments (JSON) or converted to MessagePack", () => {
    const args = Buffer.from('["x",1,2.5,{"k":[true,null]}]');
    const [json] = clientJson.parseMessages(jsonInvocationFrame("m", args).toString(), logger);
    expect(json).toEqual({ type: MessageType.Invocation, target: "m", arguments: ["x", 1, 2.5, { k: [true, null] }] });
    const frame = messagePackInvocationFrame("m", args);
    const [msgpack] = clientMsgpack.parseMessages(arrayBufferOf(frame), logger);
    expect(msgpack).toMatchObject({ type: MessageType.Invocation, target: "m", arguments: ["x", 1, 2.5, { k: [true, null] }] });
  });
});

describe("what the official client writes, the service reads", () => {
  const clientMessages: Array<[string, ClientHubMessage, HubMessage]> = [
    ["invoke", { type: MessageType.Invocation, invocationId: "0", target: "echo", arguments: ["x", 2], headers: {} } as ClientHubMessage, { kind: "invocation", invocationId: "0", target: "echo", arguments: ["x", 2] }],
    ["send", { type: MessageType.Invocation, target: "fireAndForget", arguments: ["y"], headers: {} } as ClientHubMessage, { kind: "invocation", target: "fireAndForget", arguments: ["y"] }],
    ["stream", { type: MessageType.StreamInvocation, invocationId: "3", target: "counter", arguments: [3], headers: {} } as ClientHubMessage, { kind: "streamInvocation", invocationId: "3", target: "counter", arguments: [3] }],
    ["cancel", { type: MessageType.CancelInvocation, invocationId: "3", headers: {} } as ClientHubMessage, { kind: "cancelInvocation", invocationId: "3" }],
    ["ping", { type: MessageType.Ping }, { kind: "ping" }],
    ["client result", { type: MessageType.Completion, invocationId: "s1", result: 42, headers: {} } as ClientHubMessage, { kind: "completion", invocationId: "s1", result: 42, hasResult: true }],
  ];

  it.each(clientMessages)("JSON: %s", (_name, client, ours) => {
    expect(parseJsonMessages(clientJson.writeMessage(client) as string)).toEqual([ours]);
  });

  it.each(clientMessages)("MessagePack: %s", (_name, client, ours) => {
    expect(parseMessagePackMessages(new Uint8Array(clientMsgpack.writeMessage(client) as ArrayBuffer))).toEqual([ours]);
  });

  it("reads the frames the real client was seen sending", () => {
    const hex = (h: string) => Buffer.from(h, "hex");
    // A Ping is the 2-byte body 91 06, so its length prefix is 02.
    expect(parseMessagePackMessages(hex("029106"))).toEqual([{ kind: "ping" }]);
    expect(parseMessagePackMessages(Buffer.concat([hex("0e"), hex("950180a130a46563686f92a17802")]))).toEqual([
      { kind: "invocation", invocationId: "0", target: "echo", arguments: ["x", 2] },
    ]);
    expect(parseJsonMessages('{"target":"echo","arguments":["x",2],"invocationId":"0","type":1}\x1e{"type":6}\x1e')).toEqual([
      { kind: "invocation", invocationId: "0", target: "echo", arguments: ["x", 2] },
      { kind: "ping" },
    ]);
  });
});

describe("framing", () => {
  it.each([
    [0, "00"],
    [127, "7f"],
    [128, "8001"],
    [16_383, "ff7f"],
    [16_384, "808001"],
    [2 ** 31 - 1, "ffffffff07"],
  ])("VarInt length %d is %s", (length, hex) => {
    expect(writeLengthPrefix(length).toString("hex")).toBe(hex);
  });

  it("splits several messages in one frame", () => {
    const frame = Buffer.concat([serializeMessagePackMessage({ kind: "ping" }), serializeMessagePackMessage({ kind: "close" })]);
    expect(splitLengthPrefixed(frame).map((b) => Buffer.from(b).toString("hex"))).toEqual(["9106", "9207c0"]);
  });

  it.each([
    ['{"protocol":"json","version":1}', { kind: "ok", protocol: "json", version: 1 }],
    ['{"protocol":"messagepack","version":2}', { kind: "ok", protocol: "messagepack", version: 2 }],
    ['{"protocol":"xml","version":1}', { kind: "unsupported", error: "Requested protocol 'xml' is not available." }],
    ["[]", { kind: "malformed", error: "The handshake request has no 'protocol'." }],
  ])("handshake %s", (text, expected) => {
    expect(parseHandshake(text)).toEqual(expected);
  });
});
