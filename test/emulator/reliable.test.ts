import { WebPubSubClient } from "@azure/web-pubsub-client";
import type { OnServerDataMessageArgs } from "@azure/web-pubsub-client";
import { afterEach, describe, expect, it } from "vitest";
import type { UpstreamConnection, UpstreamDispatcher } from "../../emulator/src/upstream/upstream-dispatcher";
import { noUpstream } from "../../emulator/src/upstream/upstream-dispatcher";
import { systemClock } from "../../emulator/src/options";
import { EmulatorFixture } from "./support/emulator-fixture";
import { TcpSwitch } from "../support/tcp-switch";
import { until } from "../support/until";

const RELIABLE = "json.reliable.webpubsub.azure.v1";
const fixture = new EmulatorFixture();
afterEach(() => fixture.cleanup());

/** An upstream with no handlers that records the lifecycle events it is told about. */
function recordingUpstream(): UpstreamDispatcher & { connectedIds: string[]; ended: Array<{ id: string; reason: string }> } {
  const connectedIds: string[] = [];
  const ended: Array<{ id: string; reason: string }> = [];
  return {
    ...noUpstream,
    connectedIds,
    ended,
    connected: (c: UpstreamConnection) => void connectedIds.push(c.connectionId),
    disconnected: (c: UpstreamConnection, reason: string) => void ended.push({ id: c.connectionId, reason }),
  };
}

describe("reliable protocol", () => {
  it("recovers the official client after its line is cut: nothing lost, nothing duplicated, one connected event", async () => {
    const upstream = recordingUpstream();
    const server = await fixture.start({ upstream });
    const cutter = new TcpSwitch(server.port);
    fixture.onCleanup(() => cutter.close());
    await cutter.listen();
    const proxyPort = cutter.port;
    const url = (await fixture.clientUrl(server, "hub1", { userId: "u1", roles: ["webpubsub.joinLeaveGroup"] })).replace(`:${server.port}/`, `:${proxyPort}/`);
    const client = new WebPubSubClient(url);
    fixture.onCleanup(() => client.stop());
    const received: OnServerDataMessageArgs[] = [];
    let connectedEvents = 0;
    client.on("server-message", (e) => received.push(e));
    client.on("connected", () => (connectedEvents += 1));
    await client.start();
    await client.joinGroup("g");
    const service = fixture.serviceClient(server).group("g");

    for (let i = 1; i <= 3; i++) await service.sendToAll({ i });
    await until(() => (received.length === 3 ? true : undefined), 8000);
    cutter.cutAll();
    for (let i = 4; i <= 8; i++) await service.sendToAll({ i });
    await until(() => (received.length >= 8 ? true : undefined), 8000);
    await service.sendToAll({ i: 9 });
    await until(() => (received.length >= 9 ? true : undefined), 8000);

    expect(received.map((e) => (e.message.data as { i: number }).i)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(received.map((e) => e.message.sequenceId)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(cutter.accepted).toBe(2);
    expect(connectedEvents).toBe(1);
    expect(upstream.connectedIds).toHaveLength(1);
    expect(upstream.ended).toEqual([]);
  });

  it("replays unacked messages with their original sequenceIds to a raw reliable socket, and trims on sequenceAck", async () => {
    const server = await fixture.start();
    const url = await fixture.clientUrl(server, "hub1", { userId: "u1", groups: ["g"] });
    const first = await fixture.openSocket(url, RELIABLE);
    const connected = await first.inbox.jsonWhere((f) => f.type === "system");
    expect(connected).toMatchObject({ type: "system", event: "connected", userId: "u1" });
    const connectionId = connected.connectionId as string;
    const token = connected.reconnectionToken as string;
    expect(typeof token).toBe("string");

    const group = fixture.serviceClient(server).group("g");
    for (const text of ["a", "b", "c"]) await group.sendToAll(text, { contentType: "text/plain" });
    await first.inbox.frameCount(4);
    first.socket.send(JSON.stringify({ type: "sequenceAck", sequenceId: 2 }));
    first.socket.send(JSON.stringify({ type: "ping" }));
    await first.inbox.jsonWhere((f) => f.type === "pong"); // the ack was processed before the ping
    first.socket.terminate();
    await first.inbox.closeEvent();
    await group.sendToAll("d", { contentType: "text/plain" });

    const second = await fixture.openSocket(`${url}&awps_connection_id=${connectionId}&awps_reconnection_token=${token}`, RELIABLE);
    const frames = await second.inbox.frameCount(3);
    const parsed = frames.map((f) => JSON.parse(f.data.toString()) as Record<string, unknown>);
    expect(parsed[0]).toMatchObject({ type: "system", event: "connected", connectionId });
    expect(parsed.slice(1)).toEqual([
      { type: "message", from: "server", dataType: "text", data: "c", sequenceId: 3 },
      { type: "message", from: "server", dataType: "text", data: "d", sequenceId: 4 },
    ]);
    expect(await server.service.groupConnections("hub1", "g")).toEqual([{ connectionId, userId: "u1" }]);
  });

  it.each([
    ["an unknown connection id", (id: string, token: string) => [`x${id}`, token]],
    ["a wrong reconnection token", (id: string) => [id, "forged"]],
  ])("closes with 1008 after a recovery with %s", async (_name, mutate) => {
    const server = await fixture.start();
    const url = await fixture.clientUrl(server, "hub1", { userId: "u1" });
    const first = await fixture.openSocket(url, RELIABLE);
    const connected = await first.inbox.jsonWhere((f) => f.type === "system");
    first.socket.terminate();
    const [id, token] = mutate(connected.connectionId as string, connected.reconnectionToken as string);
    const retry = await fixture.openSocket(`${url}&awps_connection_id=${id}&awps_reconnection_token=${token}`, RELIABLE);
    expect(retry.socket.protocol).toBe(RELIABLE);
    expect((await retry.inbox.closeEvent()).code).toBe(1008);
  });

  it("refuses a reconnection token past its lifetime (1008), though the session still waits for recovery", async () => {
    let offsetMs = 0;
    const server = await fixture.start({ clock: { ...systemClock, now: () => Date.now() + offsetMs }, reconnectionTokenLifetimeSeconds: 60 });
    const url = await fixture.clientUrl(server, "hub1", { userId: "u1" });
    const first = await fixture.openSocket(url, RELIABLE);
    const connected = await first.inbox.jsonWhere((f) => f.type === "system");
    const connectionId = connected.connectionId as string;
    first.socket.terminate();
    await first.inbox.closeEvent();
    offsetMs = 61_000;
    const retry = await fixture.openSocket(`${url}&awps_connection_id=${connectionId}&awps_reconnection_token=${connected.reconnectionToken as string}`, RELIABLE);
    expect(await retry.inbox.closeEvent()).toEqual({ code: 1008, reason: "The connection cannot be recovered." });
    offsetMs = 59_000;
    const inTime = await fixture.openSocket(`${url}&awps_connection_id=${connectionId}&awps_reconnection_token=${connected.reconnectionToken as string}`, RELIABLE);
    expect(await inTime.inbox.jsonWhere((f) => f.type === "system")).toMatchObject({ event: "connected", connectionId });
  });

  it("recovering a session whose socket is still open closes that socket with 1008 and a reason", async () => {
    const server = await fixture.start();
    const url = await fixture.clientUrl(server, "hub1", { userId: "u1" });
    const first = await fixture.openSocket(url, RELIABLE);
    const connected = await first.inbox.jsonWhere((f) => f.type === "system");
    const second = await fixture.openSocket(`${url}&awps_connection_id=${connected.connectionId as string}&awps_reconnection_token=${connected.reconnectionToken as string}`, RELIABLE);
    expect(await second.inbox.jsonWhere((f) => f.type === "system")).toMatchObject({ event: "connected", connectionId: connected.connectionId });
    expect(await first.inbox.closeEvent()).toEqual({ code: 1008, reason: "The connection was recovered on another socket." });
  });

  it("ends the session after the recovery window: upstream disconnected once, later recovery gets 1008", async () => {
    const upstream = recordingUpstream();
    const server = await fixture.start({ upstream, recoveryWindowMs: 150 });
    const url = await fixture.clientUrl(server, "hub1", { userId: "u1", groups: ["g"] });
    const first = await fixture.openSocket(url, RELIABLE);
    const connected = await first.inbox.jsonWhere((f) => f.type === "system");
    const connectionId = connected.connectionId as string;
    first.socket.terminate();
    await until(() => (upstream.ended.length > 0 ? true : undefined), 8000);
    expect(upstream.ended).toEqual([{ id: connectionId, reason: "The connection was lost and not recovered in time." }]);
    expect(await server.service.connectionExists("hub1", connectionId)).toBe(false);
    expect(await server.service.groupExists("hub1", "g")).toBe(false);
    const retry = await fixture.openSocket(`${url}&awps_connection_id=${connectionId}&awps_reconnection_token=${connected.reconnectionToken as string}`, RELIABLE);
    expect((await retry.inbox.closeEvent()).code).toBe(1008);
  });

  it("closes for good (1008) once the unacked buffer passes its message limit", async () => {
    const upstream = recordingUpstream();
    const server = await fixture.start({ upstream, maxUnackedMessages: 3 });
    const url = await fixture.clientUrl(server, "hub1", { userId: "u1" });
    const { inbox } = await fixture.openSocket(url, RELIABLE);
    const connected = await inbox.jsonWhere((f) => f.type === "system");
    const service = fixture.serviceClient(server);
    for (let i = 0; i < 4; i++) await service.sendToUser("u1", { i });
    expect((await inbox.closeEvent()).code).toBe(1008);
    const dataFrames = inbox.json().filter((f) => f.type === "message");
    expect(dataFrames.map((f) => f.sequenceId)).toEqual([1, 2, 3]);
    expect(inbox.json().at(-1)).toEqual({ type: "system", event: "disconnected", message: "The reliable message buffer is full." });
    expect(upstream.ended.map((d) => d.id)).toEqual([connected.connectionId]);
  });
});
