/**
 * Stateful reconnect with `@microsoft/signalr`'s `withStatefulReconnect()`: negotiate offers it
 * when asked, the connection outlives a cut WebSocket, and the client's new socket with the same
 * connection token gets every message sent meanwhile, once, in order, with no upstream
 * `disconnected` / `connected` for the reconnect.
 */
import { HubConnectionBuilder, LogLevel, type HubConnection } from "@microsoft/signalr";
import { afterEach, describe, expect, it } from "vitest";
import { TcpSwitch } from "../support/tcp-switch";
import { until } from "../support/until";
import { clientToken, SignalRFixture } from "./support/signalr-fixture";
import { FakeUpstream } from "./support/fake-upstream";

const fixture = new SignalRFixture();
const closers: Array<() => unknown> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  await fixture.cleanup();
});

describe("stateful reconnect", () => {
  it("offers it only when asked", async () => {
    const server = await fixture.start();
    const ask = async (query: string) =>
      (await (await fetch(`${server.url}/client/negotiate?hub=chat&negotiateVersion=1${query}`, { method: "POST", headers: { authorization: `Bearer ${clientToken("chat")}` } })).json()) as Record<string, unknown>;
    expect((await ask("&useStatefulReconnect=true")).useStatefulReconnect).toBe(true);
    expect((await ask("")).useStatefulReconnect).toBeUndefined();
  });

  it("resumes a cut WebSocket: every message sent meanwhile arrives once, in order; the upstream sees one connection", async () => {
    const upstream = await new FakeUpstream().start();
    closers.push(() => upstream.close());
    const server = await fixture.start({ signalr: { upstream: [{ urlTemplate: `${upstream.url}/{hub}/{category}/{event}` }] } });
    const line = new TcpSwitch(server.port);
    closers.push(() => line.close());
    await line.listen();
    const connection: HubConnection = new HubConnectionBuilder()
      .withUrl(`http://127.0.0.1:${line.port}/client/?hub=chat`, { accessTokenFactory: () => clientToken("chat", { "asrs.s.uid": "sam" }) })
      .withStatefulReconnect()
      .configureLogging(LogLevel.None)
      .build();
    closers.push(() => connection.stop());
    const received: number[] = [];
    connection.on("n", (n: number) => received.push(n));
    let reconnecting = 0;
    connection.onreconnecting(() => (reconnecting += 1));
    await connection.start();
    const send = (n: number) => fixture.rest(server, "POST", "/api/hubs/chat/users/sam/:send", { target: "n", arguments: [n] });
    for (let n = 1; n <= 3; n++) expect((await send(n)).status).toBe(202);
    await until(() => (received.length === 3 ? true : undefined));
    line.cutAll();
    for (let n = 4; n <= 8; n++) expect((await send(n)).status).toBe(202);
    await until(() => (received.length >= 8 ? true : undefined), 8000);
    expect((await send(9)).status).toBe(202);
    await until(() => (received.length >= 9 ? true : undefined), 8000);
    expect(received).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(line.accepted).toBe(3); // negotiate, the first socket, and the resumed one
    expect(reconnecting).toBe(0); // the client never saw the drop as a reconnect of the hub connection
    expect(upstream.byEvent("connected")).toHaveLength(1);
    expect(upstream.byEvent("disconnected")).toHaveLength(0);
    expect(connection.connectionId).toBeTruthy();
    expect(await server.service.connectionExists("signalr:chat", connection.connectionId!)).toBe(true);
  });

  it("ends a connection whose unacked messages pass the buffer (statefulReconnectBufferBytes), with a Close that allows reconnecting", async () => {
    const server = await fixture.start({ signalr: { statefulReconnectBufferBytes: 600 } });
    const connection = new HubConnectionBuilder()
      .withUrl(`${server.url}/client/?hub=chat`, { accessTokenFactory: () => clientToken("chat", { "asrs.s.uid": "flood" }) })
      .withStatefulReconnect()
      .configureLogging(LogLevel.None)
      .build();
    closers.push(() => connection.stop());
    const closed = new Promise<Error | undefined>((resolve) => connection.onclose(resolve));
    await connection.start();
    // The client acks about once a second; ten 100-byte messages at once pass 600 bytes first.
    for (let n = 0; n < 10; n++) await fixture.rest(server, "POST", "/api/hubs/chat/users/flood/:send", { target: "n", arguments: ["x".repeat(100)] });
    expect((await closed)?.message).toContain("The reliable message buffer is full.");
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/reliableBufferFull"?[^\n]* 1/);
  });
});
