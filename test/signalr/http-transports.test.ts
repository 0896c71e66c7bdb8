/**
 * Server-Sent Events and Long Polling on the SignalR face, with `@microsoft/signalr` in Node as
 * the client (JSON on both, MessagePack on Long Polling), and the exact HTTP exchanges.
 */
import net from "node:net";
import { HttpTransportType } from "@microsoft/signalr";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { until } from "../support/until";
import { clientToken, SignalRFixture, type WireProtocol } from "./support/signalr-fixture";
import { negotiate } from "./support/raw-signalr";

const fixture = new SignalRFixture();
afterEach(() => fixture.cleanup());

const cases: Array<[string, HttpTransportType, WireProtocol]> = [
  ["Server-Sent Events, JSON", HttpTransportType.ServerSentEvents, "json"],
  ["Long Polling, JSON", HttpTransportType.LongPolling, "json"],
  ["Long Polling, MessagePack", HttpTransportType.LongPolling, "messagepack"],
];

describe("the HTTP transports with @microsoft/signalr", () => {
  it.each(cases)("%s: REST sends to all, user and group arrive; an invocation gets its Completion; a server close reaches the client", async (_name, transport, protocol) => {
    const server = await fixture.start();
    const client = await fixture.connect(server, "chat", { userId: "ann", transport, protocol });
    const other = await fixture.connect(server, "chat", { userId: "bob" });
    expect((client.connection as unknown as { connection: { transport: { constructor: { name: string } } } }).connection.transport.constructor.name).toBe(
      transport === HttpTransportType.ServerSentEvents ? "ServerSentEventsTransport" : "LongPollingTransport",
    );
    expect((await fixture.rest(server, "POST", "/api/hubs/chat/:send", { target: "message", arguments: ["to all"] })).status).toBe(202);
    expect((await fixture.rest(server, "POST", "/api/hubs/chat/users/ann/:send", { target: "message", arguments: [{ to: "ann" }] })).status).toBe(202);
    expect((await fixture.rest(server, "PUT", `/api/hubs/chat/groups/room/connections/${client.connectionId}`)).status).toBe(200);
    expect((await fixture.rest(server, "POST", "/api/hubs/chat/groups/room/:send", { target: "message", arguments: ["to room", 2] })).status).toBe(202);
    await until(() => (client.received.length === 3 ? true : undefined));
    expect(client.received.map((r) => r.args)).toEqual([["to all"], [{ to: "ann" }], ["to room", 2]]);
    expect(other.received.map((r) => r.args)).toEqual([["to all"]]);
    // No upstream: the invocation fails with an error Completion over the same transport.
    await expect(client.connection.invoke("echo", 1)).rejects.toThrow("No upstream handles invocations of 'echo' on hub 'chat'.");
    expect((await fixture.rest(server, "DELETE", `/api/hubs/chat/connections/${client.connectionId}?reason=maintenance`)).status).toBe(200);
    await until(() => (client.closes.length === 1 ? true : undefined));
    expect(client.closes[0]?.message).toContain("maintenance");
    expect(await server.service.connectionExists("signalr:chat", client.connectionId)).toBe(false);
  });

  it.each(cases)("%s: a client stop ends the connection on the service", async (_name, transport, protocol) => {
    const server = await fixture.start();
    const client = await fixture.connect(server, "chat", { userId: "cy", transport, protocol });
    expect(await server.service.connectionExists("signalr:chat", client.connectionId)).toBe(true);
    await client.connection.stop();
    await until(async () => ((await server.service.connectionExists("signalr:chat", client.connectionId)) ? undefined : true));
  });

  it.each([HttpTransportType.ServerSentEvents, HttpTransportType.LongPolling])("refuses a POST over 1 MiB with 413 (transport %s); it reaches no one and the connection goes on", async (transport) => {
    const server = await fixture.start();
    const client = await fixture.connect(server, "chat", { userId: "big", transport });
    const big = "x".repeat(1_048_576);
    await expect(client.connection.invoke("echo", big)).rejects.toThrow(/Payload Too Large: a message sent over (Long Polling|Server-Sent Events) is at most 1048576 bytes\./);
    await expect(client.connection.invoke("echo", "small")).rejects.toThrow("No upstream handles invocations of 'echo'");
    expect(await server.service.connectionExists("signalr:chat", client.connectionId)).toBe(true);
  });

  it("never offers Server-Sent Events to MessagePack: a MessagePack client limited to them cannot start", async () => {
    const server = await fixture.start();
    await expect(fixture.connect(server, "chat", { transport: HttpTransportType.ServerSentEvents, protocol: "messagepack" })).rejects.toThrow(/transports/i);
  });
});

const auth = { authorization: `Bearer ${clientToken("chat")}` };

describe("the HTTP transports, request by request", () => {
  it("Long Polling: the first poll is answered at once and empty, a held poll takes every buffered message, a newer poll ends the older with 204, DELETE is 202 and ends it", async () => {
    const server = await fixture.start({ signalr: { longPollTimeoutMs: 300 } });
    const { connectionToken } = await negotiate(server, "chat");
    const base = `${server.url}/client/?hub=chat&id=${connectionToken}`;
    const first = await fetch(`${base}&_=1`, { headers: auth });
    expect([first.status, first.headers.get("content-length"), first.headers.get("cache-control")]).toEqual([200, "0", "no-cache, no-store"]);
    expect((await fetch(base, { method: "POST", headers: auth, body: '{"protocol":"json","version":1}\u001e' })).status).toBe(200);
    const handshake = await fetch(`${base}&_=2`, { headers: auth });
    expect(await handshake.text()).toBe("{}\u001e");
    // Nothing to send: held, then an empty 200 at the poll timeout.
    const started = Date.now();
    const empty = await fetch(`${base}&_=3`, { headers: auth });
    expect([empty.status, await empty.text()]).toEqual([200, ""]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    const held = fetch(`${base}&_=4`, { headers: auth });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const newer = fetch(`${base}&_=5`, { headers: auth });
    expect((await held).status).toBe(204);
    await fixture.rest(server, "POST", "/api/hubs/chat/:send", { target: "m", arguments: [1] });
    await fixture.rest(server, "POST", "/api/hubs/chat/:send", { target: "m", arguments: [2] });
    const taken = await newer;
    expect((await taken.text()).startsWith('{"type":1,"target":"m","arguments":[1]}\u001e')).toBe(true);
    const deleted = await fetch(base, { method: "DELETE", headers: auth });
    expect(deleted.status).toBe(202);
    expect((await fetch(`${base}&_=6`, { headers: auth })).status).toBe(404);
    expect((await fetch(base, { method: "DELETE", headers: auth })).status).toBe(404);
  });

  it("Server-Sent Events: 200 text/event-stream with a comment at once, one data event per write, whole messages; the stream ends with the connection", async () => {
    const server = await fixture.start();
    const { connectionId, connectionToken } = await negotiate(server, "chat");
    const base = `${server.url}/client/?hub=chat&id=${connectionToken}`;
    const controller = new AbortController();
    const stream = await fetch(`${base}&access_token=${clientToken("chat")}`, { headers: { accept: "text/event-stream" }, signal: controller.signal });
    expect([stream.status, stream.headers.get("content-type")]).toEqual([200, "text/event-stream"]);
    const reader = stream.body!.getReader();
    let text = "";
    const readUntil = async (wanted: string): Promise<void> => {
      while (!text.includes(wanted)) {
        const { value, done } = await reader.read();
        if (done) return;
        text += Buffer.from(value).toString("utf8");
      }
    };
    await readUntil(":\r\n");
    expect(text.startsWith(":\r\n")).toBe(true);
    expect((await fetch(base, { method: "POST", headers: auth, body: '{"protocol":"json","version":1}\u001e' })).status).toBe(200);
    await readUntil("data: {}\u001e\r\n\r\n");
    // A second stream for the same connection, and a DELETE, are refused.
    expect((await fetch(`${base}&access_token=${clientToken("chat")}`, { headers: { accept: "text/event-stream" } })).status).toBe(409);
    expect((await fetch(base, { method: "DELETE", headers: auth })).status).toBe(400);
    await fixture.rest(server, "POST", "/api/hubs/chat/:send", { target: "m", arguments: ["line\nbreak"] });
    await readUntil('"arguments":["line\\nbreak"]}\u001e\r\n\r\n');
    expect(text).toContain('data: {"type":1,"target":"m","arguments":["line\\nbreak"]}\u001e\r\n\r\n');
    expect((await fixture.rest(server, "DELETE", `/api/hubs/chat/connections/${connectionId}?reason=bye`)).status).toBe(200);
    await readUntil('"type":7');
    const { done } = await reader.read().then(async (r) => (r.done ? r : reader.read()));
    expect(done).toBe(true);
    controller.abort();
  });

  it("Long Polling: a client that stops polling holds at most the outbound limit, then is closed and counted like a WebSocket one", async () => {
    const server = await fixture.start({ maxOutboundBytesPerConnection: 8192, signalr: { longPollGraceMs: 60_000 } });
    const { connectionId, connectionToken } = await negotiate(server, "chat");
    const base = `${server.url}/client/?hub=chat&id=${connectionToken}`;
    await fetch(`${base}&_=1`, { headers: auth });
    await fetch(base, { method: "POST", headers: auth, body: '{"protocol":"json","version":1}\u001e' });
    expect(await (await fetch(`${base}&_=2`, { headers: auth })).text()).toBe("{}\u001e");
    // No more polls: messages pile up on the service's side.
    for (let i = 0; i < 12; i++) await fixture.rest(server, "POST", "/api/hubs/chat/:send", { target: "m", arguments: ["x".repeat(1000)] });
    await until(async () => ((await server.service.connectionExists("signalr:chat", connectionId)) ? undefined : true));
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/webpubsub_connections_closed_over_limit_total\{[^}]*limit="outboundLimit"[^}]*\} 1/);
  });

  it("answers missing, unknown and unauthenticated requests with the stock statuses, in plain text", async () => {
    const server = await fixture.start();
    expect((await fetch(`${server.url}/client/?hub=chat`, { headers: auth })).status).toBe(400);
    const unknown = await fetch(`${server.url}/client/?hub=chat&id=nope`, { headers: auth });
    expect([unknown.status, await unknown.text()]).toEqual([404, "No Connection with that ID"]);
    expect((await fetch(`${server.url}/client/?hub=chat&id=nope`, { method: "POST", headers: auth, body: "x" })).status).toBe(404);
    const { connectionToken } = await negotiate(server, "chat");
    expect((await fetch(`${server.url}/client/?hub=chat&id=${connectionToken}`)).status).toBe(401);
    expect((await fetch(`${server.url}/client/?hub=chat&id=${connectionToken}`, { method: "PUT", headers: auth })).status).toBe(405);
  });
});

describe("WebSocket frames of at most 2 KB", () => {
  /** Every WebSocket frame header the service writes to one client, read off the TCP stream. */
  async function framesOf(server: { port: number }, path: string, trigger: () => Promise<unknown>): Promise<Array<{ fin: boolean; opcode: number; length: number }>> {
    const tap = net.createServer((client) => {
      const upstream = net.connect(server.port, "127.0.0.1");
      client.pipe(upstream);
      let buffered = Buffer.alloc(0);
      let upgraded = false;
      upstream.on("data", (chunk: Buffer) => {
        client.write(chunk);
        buffered = Buffer.concat([buffered, chunk]);
        if (!upgraded) {
          const end = buffered.indexOf("\r\n\r\n");
          if (end < 0) return;
          buffered = buffered.subarray(end + 4);
          upgraded = true;
        }
        for (;;) {
          if (buffered.length < 2) return;
          let length = buffered[1]! & 0x7f;
          let offset = 2;
          if (length === 126) {
            if (buffered.length < 4) return;
            length = buffered.readUInt16BE(2);
            offset = 4;
          } else if (length === 127) {
            if (buffered.length < 10) return;
            length = Number(buffered.readBigUInt64BE(2));
            offset = 10;
          }
          if (buffered.length < offset + length) return;
          seen.push({ fin: (buffered[0]! & 0x80) !== 0, opcode: buffered[0]! & 0x0f, length });
          buffered = buffered.subarray(offset + length);
        }
      });
      upstream.on("error", () => client.destroy());
      client.on("error", () => upstream.destroy());
    });
    const seen: Array<{ fin: boolean; opcode: number; length: number }> = [];
    await new Promise<void>((resolve) => tap.listen(0, "127.0.0.1", resolve));
    const { connectionToken } = await negotiate(server as never, "chat");
    const socket = new WebSocket(`ws://127.0.0.1:${(tap.address() as net.AddressInfo).port}${path}&id=${connectionToken}`, { headers: auth });
    const messages: string[] = [];
    socket.on("message", (data) => messages.push(data.toString()));
    await new Promise((resolve) => socket.once("open", resolve));
    socket.send('{"protocol":"json","version":1}\u001e');
    await until(() => (messages.length === 1 ? true : undefined));
    await trigger();
    await until(() => (messages.length === 2 ? true : undefined));
    socket.close();
    tap.close();
    expect(messages[1]).toBe(`{"type":1,"target":"big","arguments":["${"y".repeat(5000)}"]}\u001e`);
    return seen.slice(1);
  }

  it("splits a 5 KB message into frames of 2,048 payload bytes or fewer, which ws reassembles unchanged; 0 turns it off", async () => {
    const server = await fixture.start();
    const send = () => fixture.rest(server, "POST", "/api/hubs/chat/:send", { target: "big", arguments: ["y".repeat(5000)] });
    const frames = await framesOf(server, "/client/?hub=chat", send);
    expect(frames.map((f) => [f.opcode, f.length, f.fin])).toEqual([
      [1, 2048, false],
      [0, 2048, false],
      [0, 5043 - 4096, true],
    ]);
    const whole = await fixture.start({ signalr: { webSocketFragmentBytes: 0 } });
    const one = await framesOf(whole, "/client/?hub=chat", () => fixture.rest(whole, "POST", "/api/hubs/chat/:send", { target: "big", arguments: ["y".repeat(5000)] }));
    expect(one.map((f) => [f.opcode, f.length, f.fin])).toEqual([[1, 5043, true]]);
  });
});
