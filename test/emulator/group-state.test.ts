/**
 * Group state on raw sockets of both JSON subprotocols. The official client 1.1.0 writes these
 * frames (its protocol objects are used here to write them) but has no public API for them yet.
 */
import { WebPubSubJsonReliableProtocol } from "@azure/web-pubsub-client";
import { afterEach, describe, expect, it } from "vitest";
import type { ServiceServer } from "../../emulator/src/server";
import { EmulatorFixture, type OpenSocket } from "./support/emulator-fixture";
import { until } from "../support/until";

const RELIABLE = "json.reliable.webpubsub.azure.v1";
const JSON_PROTOCOL = "json.webpubsub.azure.v1";
const fixture = new EmulatorFixture();
afterEach(() => fixture.cleanup());

interface Peer extends OpenSocket {
  connectionId: string;
  send(frame: unknown): void;
  /** Frames after `connected`. */
  frames(): Array<Record<string, unknown>>;
}

async function peer(server: ServiceServer, userId: string, options: { groups?: string[]; roles?: string[]; subprotocol?: string } = {}): Promise<Peer> {
  const url = await fixture.clientUrl(server, "hub1", { userId, groups: options.groups ?? ["room"], roles: options.roles ?? [] });
  const open = await fixture.openSocket(url, options.subprotocol ?? RELIABLE);
  const connected = await open.inbox.jsonWhere((f) => f.event === "connected");
  return {
    ...open,
    connectionId: connected.connectionId as string,
    send: (frame) => open.socket.send(typeof frame === "string" ? frame : JSON.stringify(frame)),
    frames: () => open.inbox.json().filter((f) => f.event !== "connected"),
  };
}

async function framesOf(p: Peer, count: number): Promise<Array<Record<string, unknown>>> {
  return until(() => (p.frames().length >= count ? p.frames().slice(0, count) : undefined));
}

describe("group state", () => {
  it("acks a subscription before its snapshot, which holds every member's state including the subscriber's own", async () => {
    const server = await fixture.start();
    const alice = await peer(server, "alice");
    const bob = await peer(server, "bob", { subprotocol: JSON_PROTOCOL });
    // Written with the official client's own protocol writer.
    alice.send(WebPubSubJsonReliableProtocol().writeMessage({ kind: "setGroupState", group: "room", ackId: 1, state: { status: "typing" } } as never));
    await framesOf(alice, 1);
    bob.send({ type: "setGroupState", group: "room", ackId: 2, state: { status: "idle" } });
    bob.send({ type: "subscribeGroupState", group: "room", ackId: 3 });
    const [setAck, subscribeAck, snapshot] = await framesOf(bob, 3);
    expect(setAck).toEqual({ type: "ack", ackId: 2, success: true });
    expect(subscribeAck).toEqual({ type: "ack", ackId: 3, success: true });
    expect(snapshot).toMatchObject({
      type: "groupStateSnapshot",
      group: "room",
      items: [alice, bob]
        .sort((a, b) => (a.connectionId < b.connectionId ? -1 : 1))
        .map((p) => ({ connectionId: p.connectionId, userId: p === alice ? "alice" : "bob", state: { status: p === alice ? "typing" : "idle" } })),
    });
    expect(alice.frames()).toEqual([{ type: "ack", ackId: 1, success: true }]);
  });

  it("sends every change to every subscriber, the setter included, with updatedAt strictly increasing, and clears on leave and on the end", async () => {
    const server = await fixture.start();
    const alice = await peer(server, "alice", { roles: ["webpubsub.joinLeaveGroup"] });
    const watcher = await peer(server, "watcher", { groups: [], roles: ["webpubsub.joinLeaveGroup.room"] });
    alice.send({ type: "subscribeGroupState", group: "room", ackId: 1 });
    watcher.send({ type: "subscribeGroupState", group: "room", ackId: 1 });
    await framesOf(alice, 2);
    expect((await framesOf(watcher, 2))[1]).toEqual({ type: "groupStateSnapshot", group: "room", items: [] });
    for (let i = 0; i < 5; i++) alice.send({ type: "setGroupState", group: "room", state: { n: String(i) } });
    alice.send({ type: "setGroupState", group: "room", ackId: 2 }); // clear
    alice.send({ type: "setGroupState", group: "room", state: { n: "again" } });
    alice.send({ type: "leaveGroup", group: "room", ackId: 3 });
    const updates = (await framesOf(watcher, 2 + 8)).slice(2);
    const items = updates.map((u) => {
      expect(u).toMatchObject({ type: "groupStateUpdate", group: "room" });
      expect(u.sequenceId).toBeUndefined();
      return (u.items as Array<Record<string, unknown>>)[0]!;
    });
    expect(items.map((i) => i.state ?? null)).toEqual([{ n: "0" }, { n: "1" }, { n: "2" }, { n: "3" }, { n: "4" }, null, { n: "again" }, null]);
    expect(items.every((i) => i.connectionId === alice.connectionId && i.userId === "alice")).toBe(true);
    const times = items.map((i) => i.updatedAt as number);
    for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThan(times[i - 1]!);
    // The setter hears its own changes too, after its acks.
    const own = await until(() => (alice.frames().filter((f) => f.type === "groupStateUpdate").length === 8 ? alice.frames() : undefined));
    expect(own.filter((f) => f.type === "ack").map((f) => f.ackId)).toEqual([1, 2, 3]);

    // A member that ends clears its state for the others.
    const bob = await peer(server, "bob");
    bob.send({ type: "setGroupState", group: "room", state: { here: "yes" } });
    await until(() => (watcher.frames().length === 11 ? true : undefined));
    bob.socket.close(1000);
    const gone = await until(() => (watcher.frames().length === 12 ? watcher.frames()[11] : undefined));
    expect(gone).toEqual({ type: "groupStateUpdate", group: "room", items: [{ connectionId: bob.connectionId, userId: "bob", updatedAt: expect.any(Number) }] });
  });

  it("refuses a non-member's set, a subscription it may not join, and states past the limits, in the ack", async () => {
    const server = await fixture.start({ maxGroupStateKeys: 2, maxGroupStateBytes: 64 });
    const outsider = await peer(server, "outsider", { groups: ["other"] });
    outsider.send({ type: "setGroupState", group: "room", ackId: 1, state: { a: "b" } });
    outsider.send({ type: "subscribeGroupState", group: "room", ackId: 2 });
    outsider.send({ type: "setGroupState", group: "other", ackId: 3, state: { a: "1", b: "2", c: "3" } });
    outsider.send({ type: "setGroupState", group: "other", ackId: 4, state: { a: "x".repeat(80) } });
    outsider.send({ type: "setGroupState", group: "other", ackId: 5, state: { a: 1 } });
    outsider.send({ type: "setGroupState", group: "other", ackId: 6, state: "busy" });
    outsider.send({ type: "setGroupState", group: "other", ackId: 7, state: { ["k".repeat(129)]: "v" } });
    outsider.send({ type: "subscribeGroupState", group: "", ackId: 8 });
    const acks = await framesOf(outsider, 8);
    expect(acks.map((a) => [a.ackId, a.success, (a.error as { name: string } | undefined)?.name])).toEqual([
      [1, false, "BadRequest"],
      [2, false, "Forbidden"],
      [3, false, "BadRequest"],
      [4, false, "BadRequest"],
      [5, false, "BadRequest"],
      [6, false, "BadRequest"],
      [7, false, "BadRequest"],
      [8, false, "BadRequest"],
    ]);
    expect((acks[0]!.error as { message: string }).message).toBe("Connection is not in group 'room'.");
    expect(outsider.inbox.closed).toBeUndefined();
  });

  it("keeps state and subscription across a reliable recovery and sends a fresh snapshot after it", async () => {
    const server = await fixture.start();
    const alice = await peer(server, "alice");
    alice.send({ type: "setGroupState", group: "room", state: { mood: "calm" } });
    alice.send({ type: "subscribeGroupState", group: "room", ackId: 1 });
    const [, snapshot] = await framesOf(alice, 2);
    const connected = alice.inbox.json()[0]!;
    alice.socket.terminate();
    const bob = await peer(server, "bob");
    bob.send({ type: "setGroupState", group: "room", ackId: 1, state: { mood: "busy" } });
    await framesOf(bob, 1);
    const url = `${server.url.replace(/^http/, "ws")}/client/hubs/hub1?awps_connection_id=${alice.connectionId}&awps_reconnection_token=${encodeURIComponent(String(connected.reconnectionToken))}`;
    const again = await fixture.openSocket(url, RELIABLE);
    const fresh = await again.inbox.jsonWhere((f) => f.type === "groupStateSnapshot");
    expect(again.inbox.json()[0]).toMatchObject({ type: "system", event: "connected", connectionId: alice.connectionId });
    const byId = (items: unknown) => Object.fromEntries((items as Array<{ connectionId: string; state: unknown }>).map((i) => [i.connectionId, i.state]));
    expect(byId(snapshot!.items)).toEqual({ [alice.connectionId]: { mood: "calm" } });
    expect(byId(fresh.items)).toEqual({ [alice.connectionId]: { mood: "calm" }, [bob.connectionId]: { mood: "busy" } });
  });
});
