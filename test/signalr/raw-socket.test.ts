import http from "node:http";
import type { AddressInfo } from "node:net";
import { decode } from "@msgpack/msgpack";
import { afterEach, describe, expect, it } from "vitest";
import { splitLengthPrefixed } from "../../emulator/src/signalr/messagepack-hub-protocol";
import { until } from "../support/until";
import { negotiate, RawSignalRSocket, upgradeStatus } from "./support/raw-signalr";
import { clientToken, SignalRFixture } from "./support/signalr-fixture";

const fixture = new SignalRFixture();
const sockets: RawSignalRSocket[] = [];
const servers: http.Server[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.socket.terminate();
  for (const s of servers.splice(0)) s.close();
  await fixture.cleanup();
});

async function open(server: Awaited<ReturnType<SignalRFixture["start"]>>, handshake?: string): Promise<RawSignalRSocket> {
  const raw = await RawSignalRSocket.open(server, "chat");
  sockets.push(raw);
  if (handshake !== undefined) {
    raw.sendText(handshake);
    await until(() => (raw.frames.length > 0 ? true : undefined));
  }
  return raw;
}

const JSON_HANDSHAKE = '{"protocol":"json","version":1}\x1e';
const MSGPACK_HANDSHAKE = '{"protocol":"messagepack","version":1}\x1e';

describe("malformed frames close only the offending connection, with a clear reason", () => {
  it.each([
    ["a message that is not JSON", "{nope\x1e", "Connection closed with an error. A hub message is not valid JSON."],
    ["a message without its separator", '{"type":6}', "Connection closed with an error. Message is incomplete: a JSON hub message must end with the 0x1E separator."],
    ["an invocation without a target", '{"type":1,"arguments":[]}\x1e', "Connection closed with an error. A hub message of type 1 needs a string 'target'."],
    ["an array instead of an object", "[1,2]\x1e", "Connection closed with an error. A hub message must be a JSON object."],
    ["a message without a type", '{"target":"x"}\x1e', "Connection closed with an error. A hub message has no numeric 'type'."],
  ])("JSON: %s", async (_name, frame, error) => {
    const server = await fixture.start();
    const bystander = await fixture.connect(server, "chat");
    const raw = await open(server, JSON_HANDSHAKE);
    raw.sendText(frame);
    await until(() => raw.closed);
    expect(raw.closed).toEqual({ code: 1007, reason: error.slice(0, 123) });
    expect(raw.jsonMessages().at(-1)).toEqual({ type: 7, error });
    expect((await fixture.rest(server, "POST", "/api/hubs/chat/:send", { target: "message", arguments: ["still here"] })).status).toBe(202);
    await until(() => (bystander.received.length === 1 ? true : undefined));
    expect(bystander.closes).toEqual([]);
  });

  it("JSON: a binary frame", async () => {
    const server = await fixture.start();
    const raw = await open(server, JSON_HANDSHAKE);
    raw.socket.send(Buffer.from('{"type":6}\x1e'), { binary: true });
    await until(() => raw.closed);
    expect(raw.closed?.code).toBe(1007);
    expect(raw.jsonMessages().at(-1)).toEqual({ type: 7, error: "Connection closed with an error. Binary frames are not valid on the JSON hub protocol." });
  });

  it.each([
    ["a length prefix longer than the frame", Buffer.from([0x05, 0x91]), "A MessagePack message is incomplete (shorter than its length prefix)."],
    ["a cut length prefix", Buffer.from([0x80]), "A MessagePack message is incomplete (its length prefix is cut)."],
    ["a 6-byte length prefix", Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]), "A MessagePack length prefix is longer than 5 bytes."],
    ["a body that is no array", Buffer.from([0x01, 0x07]), "A MessagePack hub message must be an array starting with its type."],
    ["an invocation too short", Buffer.from([0x03, 0x92, 0x01, 0x80]), "Invalid payload for Invocation message."],
    ["bytes that do not decode", Buffer.from([0x01, 0xc1]), "A MessagePack hub message cannot be decoded."],
  ])("MessagePack: %s", async (_name, frame, error) => {
    const server = await fixture.start();
    const raw = await open(server, MSGPACK_HANDSHAKE);
    raw.socket.send(frame, { binary: true });
    await until(() => raw.closed);
    expect(raw.closed?.code).toBe(1007);
    const last = raw.frames.at(-1)!;
    expect(last.isBinary).toBe(true);
    expect(splitLengthPrefixed(last.data).map((body) => decode(body))).toEqual([[7, `Connection closed with an error. ${error}`]]);
  });

  it("ignores unknown message types (forward compatible) and keeps answering", async () => {
    const server = await fixture.start();
    const raw = await open(server, JSON_HANDSHAKE);
    raw.sendText('{"type":99,"x":1}\x1e{"type":1,"invocationId":"1","target":"t","arguments":[]}\x1e');
    await until(() => (raw.jsonMessages().length === 2 ? true : undefined));
    expect(raw.jsonMessages()[1]).toEqual({ type: 3, invocationId: "1", error: "No upstream handles invocations of 't' on hub 'chat'." });
    expect(raw.closed).toBeUndefined();
  });

  it("closes a frame over the size limit with 1009, others unaffected", async () => {
    const server = await fixture.start({ maxClientFrameBytes: 1000 });
    const bystander = await fixture.connect(server, "chat");
    const raw = await open(server, JSON_HANDSHAKE);
    raw.sendText(`{"type":1,"target":"t","arguments":["${"x".repeat(1000)}"]}\x1e`);
    await until(() => raw.closed);
    expect(raw.closed?.code).toBe(1009);
    expect(await server.service.connectionExists("signalr:chat", bystander.connectionId)).toBe(true);
  });

  it("answers an invocation past the in-flight limit with an error Completion", async () => {
    const slow = http.createServer((req, res) => {
      req.resume();
      if (req.headers["x-asrs-category"] === "messages") setTimeout(() => res.writeHead(204).end(), 300);
      else res.writeHead(200).end();
    });
    servers.push(slow);
    await new Promise<void>((resolve) => slow.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(slow.address() as AddressInfo).port}/{event}`;
    const server = await fixture.start({ signalr: { maxInvocationsInFlight: 1, upstream: [{ urlTemplate: url }] } });
    const raw = await open(server, JSON_HANDSHAKE);
    raw.sendText('{"type":1,"invocationId":"1","target":"slow","arguments":[]}\x1e{"type":1,"invocationId":"2","target":"slow","arguments":[]}\x1e');
    await until(() => (raw.jsonMessages().length === 3 ? true : undefined));
    expect(raw.jsonMessages().slice(1)).toEqual([
      { type: 3, invocationId: "2", error: "Too many invocations in flight (at most 1 per connection)." },
      { type: 3, invocationId: "1" },
    ]);
  });
});

describe("malformed handshakes get a handshake error, then a close", () => {
  it.each([
    ["not JSON", "hello\x1e", "The handshake request is not valid JSON."],
    ["no protocol", '{"version":1}\x1e', "The handshake request has no 'protocol'."],
    ["no version", '{"protocol":"json"}\x1e', "The handshake request has no integer 'version'."],
    ["an unsupported version", '{"protocol":"json","version":9}\x1e', "The server does not support version 9 of the 'json' protocol."],
  ])("%s", async (_name, handshake, error) => {
    const server = await fixture.start();
    const raw = await open(server);
    raw.sendText(handshake);
    await until(() => raw.closed);
    expect(raw.text()).toBe(`${JSON.stringify({ error })}\x1e`);
    expect(raw.closed?.code).toBe(1000);
  });

  it("a handshake that never ends within 64 KiB", async () => {
    const server = await fixture.start();
    const raw = await open(server);
    raw.sendText(`{"protocol":"${"j".repeat(70 * 1024)}`);
    await until(() => raw.closed);
    expect(raw.text()).toBe('{"error":"The handshake request is too large."}\x1e');
  });

  it("a handshake split over frames is assembled", async () => {
    const server = await fixture.start();
    const raw = await open(server);
    raw.sendText('{"protocol":');
    raw.sendText('"json","version":1}\x1e');
    await until(() => (raw.frames.length > 0 ? true : undefined));
    expect(raw.text()).toBe("{}\x1e");
  });
});

describe("bounded by design", () => {
  it("closes a client that stops reading once its send buffer passes the limit; others keep receiving", async () => {
    const server = await fixture.start({ maxOutboundBytesPerConnection: 64 * 1024 });
    const reader = await fixture.connect(server, "chat");
    const stalled = await open(server, JSON_HANDSHAKE);
    (stalled.socket as unknown as { _socket: { pause(): void } })._socket.pause();
    const args = ["z".repeat(16 * 1024)];
    let sent = 0;
    while (sent < 2000 && (await server.service.connectionExists("signalr:chat", stalled.connectionId))) {
      expect((await fixture.rest(server, "POST", "/api/hubs/chat/:send", { target: "message", arguments: args })).status).toBe(202);
      sent += 1;
    }
    expect(await server.service.connectionExists("signalr:chat", stalled.connectionId)).toBe(false);
    await until(() => (reader.received.length === sent ? true : undefined), 10_000);
    expect(reader.closes).toEqual([]);
  });

  it("refuses connections past the simulated tier's limit with 429", async () => {
    const server = await fixture.start({ quota: { tier: "free" } });
    for (let i = 0; i < 20; i++) await open(server, JSON_HANDSHAKE);
    const { connectionToken } = await negotiate(server, "chat");
    expect(await upgradeStatus(`${server.url.replace(/^http/, "ws")}/client/?hub=chat&id=${connectionToken}`, { authorization: `Bearer ${clientToken("chat")}` })).toBe(429);
  });
});

describe("requests no URL parser accepts", () => {
  it("answer 400 on upgrade and keep the service up", async () => {
    const server = await fixture.start();
    const net = await import("node:net");
    const answer = await new Promise<string>((resolve) => {
      const socket = net.connect(server.port, "127.0.0.1", () => {
        socket.write("GET //host:port/client/?hub=chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
      });
      let text = "";
      socket.on("data", (chunk) => (text += chunk.toString()));
      socket.on("close", () => resolve(text));
    });
    expect(answer.split("\r\n")[0]).toBe("HTTP/1.1 400 Bad Request");
    const negotiateAnswer = await fetch(`${server.url}/client/negotiate?hub=chat`, { method: "POST", headers: { authorization: `Bearer ${clientToken("chat")}` } });
    expect(negotiateAnswer.status).toBe(200);
  });
});
