import { describe, expect, it } from "vitest";
import type { OutboundData } from "../../emulator/src/cluster/commands";
import type { ClientMessage } from "../../emulator/src/protocol/client-message";
import { chooseSubprotocol } from "../../emulator/src/protocol/client-message";
import { parseClientMessage } from "../../emulator/src/protocol/parse-client-message";
import { ProtocolError } from "../../emulator/src/protocol/protocol-error";
import { buildDataFrame, reliableFrame, serializeServerMessage, type ServerMessage } from "../../emulator/src/protocol/server-message";

const bytes = (text: string): Buffer => Buffer.from(text, "utf8");

describe("parseClientMessage", () => {
  it.each<{ name: string; wire: string; message: ClientMessage | null }>([
    { name: "joinGroup", wire: '{"type":"joinGroup","group":"g1","ackId":1}', message: { kind: "joinGroup", group: "g1", ackId: 1 } },
    { name: "leaveGroup without ackId", wire: '{"type":"leaveGroup","group":"g1"}', message: { kind: "leaveGroup", group: "g1" } },
    {
      name: "sendToGroup json",
      wire: '{"type":"sendToGroup","group":"g1","ackId":2,"noEcho":true,"dataType":"json","data":{"x":1}}',
      message: { kind: "sendToGroup", group: "g1", ackId: 2, noEcho: true, payload: { dataType: "json", data: bytes('{"x":1}') } },
    },
    {
      name: "sendToGroup text, fire and forget",
      wire: '{"type":"sendToGroup","group":"g1","noEcho":false,"dataType":"text","data":"hi"}',
      message: { kind: "sendToGroup", group: "g1", noEcho: false, payload: { dataType: "text", data: bytes("hi") } },
    },
    {
      name: "event binary",
      wire: '{"type":"event","event":"myev","ackId":3,"dataType":"binary","data":"AQI="}',
      message: { kind: "event", event: "myev", ackId: 3, payload: { dataType: "binary", data: Buffer.from([1, 2]) } },
    },
    { name: "sequenceAck as a number (SDK)", wire: '{"type":"sequenceAck","sequenceId":3}', message: { kind: "sequenceAck", sequenceId: 3 } },
    { name: "sequenceAck as a string (docs)", wire: '{"type":"sequenceAck","sequenceId":"4"}', message: { kind: "sequenceAck", sequenceId: 4 } },
    { name: "ping", wire: '{"type":"ping"}', message: { kind: "ping" } },
    { name: "unknown type is ignored", wire: '{"type":"hologram","streamId":"s"}', message: null },
    { name: "stream keepalive", wire: '{"type":"streamData","streamId":"s"}', message: { kind: "streamData", streamId: "s" } },
    {
      name: "stream fragment",
      wire: '{"type":"streamData","streamId":"s","streamSequenceId":2,"dataType":"json","data":{"a":1}}',
      message: { kind: "streamData", streamId: "s", fragment: { sequenceId: 2, payload: { dataType: "json", data: Buffer.from('{"a":1}') } } },
    },
    {
      name: "stream start",
      wire: '{"type":"sendToGroup","group":"g","noEcho":true,"stream":{"streamId":"s","idleTimeoutMs":1000}}',
      message: { kind: "streamStart", group: "g", noEcho: true, streamId: "s", idleTimeoutMs: 1000 },
    },
    { name: "stream end with an error", wire: '{"type":"streamEnd","streamId":"s","error":{"message":"m","userErrorCode":"E"}}', message: { kind: "streamEnd", streamId: "s", error: { message: "m", userErrorCode: "E" } } },
    { name: "group state clear", wire: '{"type":"setGroupState","group":"g","ackId":4}', message: { kind: "setGroupState", group: "g", ackId: 4 } },
    { name: "group state subscribe", wire: '{"type":"subscribeGroupState","group":"g"}', message: { kind: "subscribeGroupState", group: "g" } },
    { name: "invoke", wire: '{"type":"invoke","invocationId":"1","target":"event","event":"echo","dataType":"text","data":"hi"}', message: { kind: "invoke", invocationId: "1", event: "echo", payload: { dataType: "text", data: Buffer.from("hi") } } },
    { name: "invoke without content", wire: '{"type":"invoke","invocationId":"2","event":"echo"}', message: { kind: "invoke", invocationId: "2", event: "echo" } },
    { name: "cancelInvocation", wire: '{"type":"cancelInvocation","invocationId":"1"}', message: { kind: "cancelInvocation", invocationId: "1" } },
  ])("$name", ({ wire, message }) => {
    expect(parseClientMessage(wire)).toEqual(message);
  });

  it.each<{ name: string; wire: string; error: string; ackId?: number }>([
    { name: "not JSON", wire: "{", error: "frame is not valid JSON" },
    { name: "not an object", wire: "42", error: "frame must be a JSON object" },
    { name: "no type", wire: "{}", error: "frame has no type" },
    { name: "empty group", wire: '{"type":"joinGroup","group":"","ackId":7}', error: "group must be a string of 1-1024 characters, not only whitespace", ackId: 7 },
    { name: "group too long", wire: JSON.stringify({ type: "joinGroup", group: "g".repeat(1025) }), error: "group must be a string of 1-1024 characters, not only whitespace" },
    { name: "negative ackId", wire: '{"type":"joinGroup","group":"g","ackId":-1}', error: "ackId must be a non-negative integer" },
    { name: "bad base64", wire: '{"type":"event","event":"e","ackId":2,"dataType":"binary","data":"***"}', error: "data must be standard base64 for dataType binary", ackId: 2 },
    { name: "text that is not a string", wire: '{"type":"event","event":"e","dataType":"text","data":1}', error: "data must be a string for dataType text" },
    { name: "unknown dataType", wire: '{"type":"event","event":"e","dataType":"protobuf","data":""}', error: "dataType must be json, text or binary" },
    { name: "event without a name", wire: '{"type":"event","dataType":"text","data":"x","ackId":1}', error: "event must be a non-empty string", ackId: 1 },
    { name: "noEcho not boolean", wire: '{"type":"sendToGroup","group":"g","noEcho":"yes","dataType":"text","data":"x"}', error: "noEcho must be a boolean" },
  ])("rejects $name", ({ wire, error, ackId }) => {
    let thrown: unknown;
    try {
      parseClientMessage(wire);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(ProtocolError);
    expect({ message: (thrown as ProtocolError).message, ackId: (thrown as ProtocolError).ackId }).toEqual({ message: error, ackId });
  });
});

describe("serializeServerMessage", () => {
  it.each<{ name: string; message: ServerMessage; wire: string }>([
    { name: "ack ok", message: { kind: "ack", ackId: 1 }, wire: '{"type":"ack","ackId":1,"success":true}' },
    {
      name: "ack error",
      message: { kind: "ack", ackId: 2, error: { name: "Forbidden", message: "no" } },
      wire: '{"type":"ack","ackId":2,"success":false,"error":{"name":"Forbidden","message":"no"}}',
    },
    { name: "pong", message: { kind: "pong" }, wire: '{"type":"pong"}' },
    {
      name: "connected, reliable",
      message: { kind: "connected", userId: null, connectionId: "c1", reconnectionToken: "t" },
      wire: '{"type":"system","event":"connected","userId":null,"connectionId":"c1","reconnectionToken":"t"}',
    },
    { name: "connected", message: { kind: "connected", userId: "u", connectionId: "c1" }, wire: '{"type":"system","event":"connected","userId":"u","connectionId":"c1"}' },
    { name: "disconnected", message: { kind: "disconnected", message: "bye" }, wire: '{"type":"system","event":"disconnected","message":"bye"}' },
  ])("$name", ({ message, wire }) => {
    expect(serializeServerMessage(message)).toBe(wire);
  });
});

describe("data frames", () => {
  it.each<{ name: string; message: OutboundData; wire: string }>([
    { name: "server json", message: { from: "server", dataType: "json", data: bytes('{"a":1}') }, wire: '{"type":"message","from":"server","dataType":"json","data":{"a":1}}' },
    { name: "server text", message: { from: "server", dataType: "text", data: bytes('say "hi"') }, wire: '{"type":"message","from":"server","dataType":"text","data":"say \\"hi\\""}' },
    { name: "server binary", message: { from: "server", dataType: "binary", data: Buffer.from([255, 0]) }, wire: '{"type":"message","from":"server","dataType":"binary","data":"/wA="}' },
    {
      name: "group, null user",
      message: { from: "group", group: "g1", fromUserId: null, dataType: "text", data: bytes("x") },
      wire: '{"type":"message","from":"group","group":"g1","fromUserId":null,"dataType":"text","data":"x"}',
    },
  ])("$name", ({ message, wire }) => {
    const frame = buildDataFrame(message);
    expect(frame.json.toString()).toBe(wire);
    expect(reliableFrame(frame, 12).toString()).toBe(`${wire.slice(0, -1)},"sequenceId":12}`);
  });
});

describe("chooseSubprotocol", () => {
  it.each([
    [[], { kind: "raw" }],
    [["mqtt"], { kind: "raw" }],
    [["json.webpubsub.azure.v1"], { kind: "json", subprotocol: "json.webpubsub.azure.v1" }],
    [["x", "json.reliable.webpubsub.azure.v1"], { kind: "reliable", subprotocol: "json.reliable.webpubsub.azure.v1" }],
  ])("%j → %j", (offered, chosen) => {
    expect(chooseSubprotocol(offered)).toEqual(chosen);
  });
});
