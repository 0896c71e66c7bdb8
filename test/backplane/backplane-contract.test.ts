import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Backplane } from "../../emulator/src/backplane/backplane";
import { InProcessBus } from "../../emulator/src/backplane/in-process-backplane";
import { RedisBackplane } from "../../emulator/src/backplane/redis-backplane";
import type { ClusterCommand, OutboundData } from "../../emulator/src/cluster/commands";
import { requiredBinary } from "../support/required-binary";
import { startRedisServer, type RedisServerProcess } from "../support/redis-server";
import { RecordingNode } from "./recording-node";

const redisBinary = requiredBinary("redis-server", ["/usr/bin/redis-server"]);

interface Implementation {
  name: string;
  /** Group deliveries reach only nodes that activated the group (the in-process bus hands them to every node, which filters). */
  subscribesPerGroup: boolean;
  createCluster(size: number): Promise<Backplane[]>;
}

let redis: RedisServerProcess | undefined;
beforeAll(async () => {
  if (redisBinary) redis = await startRedisServer(redisBinary);
});
afterAll(async () => {
  await redis?.stop();
});

const implementations: Implementation[] = [
  {
    name: "InProcessBackplane",
    subscribesPerGroup: false,
    async createCluster(size) {
      const bus = new InProcessBus();
      return Array.from({ length: size }, (_, i) => bus.createBackplane(`node-${i}`));
    },
  },
];
if (redisBinary) {
  implementations.push({
    name: "RedisBackplane",
    subscribesPerGroup: true,
    async createCluster(size) {
      const channelPrefix = `t${randomUUID().slice(0, 8)}`;
      // A long query timeout proves that queries return as soon as every node has answered.
      return Array.from({ length: size }, (_, i) => new RedisBackplane({ url: redis!.url, nodeId: `node-${i}`, channelPrefix, queryTimeoutMs: 20_000 }));
    },
  });
}

const HUB = "chat";

function deliver(target: Extract<ClusterCommand, { kind: "deliver" }>["target"], data: Uint8Array, dataType: OutboundData["dataType"] = "binary"): ClusterCommand {
  return { kind: "deliver", target, message: { from: "server", dataType, data } };
}

describe.each(implementations)("backplane contract: $name", (impl) => {
  let nodes: RecordingNode[] = [];

  async function cluster(size: number): Promise<RecordingNode[]> {
    const backplanes = await impl.createCluster(size);
    nodes = backplanes.map((b) => new RecordingNode(b));
    for (const node of nodes) {
      await node.backplane.attach(node);
      node.backplane.hubActivated(HUB);
    }
    // Membership commands resolve once every receiving node applied them: a barrier that also
    // waits for the hub subscriptions above to be in place.
    await settle(nodes);
    return nodes;
  }

  /** Sends a marker from node 0 and waits until every other node has it, then forgets all records. */
  async function settle(all: RecordingNode[]): Promise<void> {
    const before = all.map((n) => n.received.length);
    await all[0]!.backplane.publish(HUB, { kind: "removeUserFromAllGroups", userId: "barrier" });
    await Promise.all(all.slice(1).map((n, i) => n.receivedCount(before[i + 1]! + 1)));
    for (const n of all) n.received.length = 0;
  }

  afterEach(async () => {
    await Promise.all(nodes.map((n) => n.backplane.close()));
    nodes = [];
  });

  it("carries a command to every other node, once, and never back to its origin", async () => {
    const [a, b, c] = await cluster(3);
    const command = deliver({ kind: "all" }, Uint8Array.from([1, 2, 3]));
    await a!.backplane.publish(HUB, command);
    await Promise.all([b!.receivedCount(1), c!.receivedCount(1)]);
    // A later command from b is ordered after a's on the link: when a holds it, a's own echo would have come first.
    await b!.backplane.publish(HUB, { kind: "removeConnectionFromAllGroups", connectionId: "x" });
    await a!.receivedCount(1);
    await c!.receivedCount(2);
    expect(a!.received).toEqual([{ hub: HUB, command: { kind: "removeConnectionFromAllGroups", connectionId: "x" } }]);
    expect(b!.received).toEqual([{ hub: HUB, command }]);
    expect(c!.received.map((r) => r.command.kind)).toEqual(["deliver", "removeConnectionFromAllGroups"]);
  });

  it("has every other node apply a membership command by the time publish resolves", async () => {
    const [a, b, c] = await cluster(3);
    await a!.backplane.publish(HUB, { kind: "addConnectionToGroup", connectionId: "conn-1", group: "g" });
    expect(b!.received).toEqual([{ hub: HUB, command: { kind: "addConnectionToGroup", connectionId: "conn-1", group: "g" } }]);
    expect(c!.received).toHaveLength(1);
    expect(a!.received).toHaveLength(0);
  });

  it("delivers group messages to nodes holding the group", async () => {
    const [a, b, c] = await cluster(3);
    b!.backplane.groupActivated(HUB, "room 1:x");
    await settle(nodes);
    const command = deliver({ kind: "group", group: "room 1:x" }, Uint8Array.from([9]));
    await a!.backplane.publish(HUB, command);
    await b!.receivedCount(1);
    expect(b!.received).toEqual([{ hub: HUB, command }]);
    // Barrier from a: c has it only after whatever a published before.
    await a!.backplane.publish(HUB, { kind: "removeUserFromAllGroups", userId: "u" });
    await c!.receivedCount(impl.subscribesPerGroup ? 1 : 2);
    expect(c!.received.map((r) => r.command.kind)).toEqual(impl.subscribesPerGroup ? ["removeUserFromAllGroups"] : ["deliver", "removeUserFromAllGroups"]);
  });

  // Only where deliveries are routed per group; the in-process bus has nothing to stop.
  const itPerGroup = impl.subscribesPerGroup ? it : () => {};
  itPerGroup("stops sending group messages to a node once it deactivates the group", async () => {
    const [a, b] = await cluster(2);
    b!.backplane.groupActivated(HUB, "g");
    await settle(nodes);
    b!.backplane.groupDeactivated(HUB, "g");
    await settle(nodes);
    await a!.backplane.publish(HUB, deliver({ kind: "group", group: "g" }, Uint8Array.from([1])));
    await a!.backplane.publish(HUB, deliver({ kind: "all" }, Uint8Array.from([2])));
    await b!.receivedCount(1);
    expect(b!.received).toEqual([{ hub: HUB, command: deliver({ kind: "all" }, Uint8Array.from([2])) }]);
  });

  it("answers a query with one answer from every other node", async () => {
    const [a, b, c] = await cluster(3);
    a!.connections.add("conn-a");
    b!.connections.add("conn-b");
    c!.connections.add("conn-c");
    const started = Date.now();
    const answers = await a!.backplane.query(HUB, { kind: "connectionExists", connectionId: "conn-c" });
    expect(answers).toHaveLength(2);
    expect(answers.filter((x) => x.kind === "boolean" && x.value)).toHaveLength(1);
    const members = await b!.backplane.query(HUB, { kind: "groupConnections", group: "g" });
    expect(members.flatMap((x) => (x.kind === "connections" ? x.value.map((v) => v.connectionId) : [])).sort()).toEqual(["conn-a", "conn-c"]);
    const usage = await c!.backplane.query(HUB, { kind: "usage" });
    expect(usage.map((x) => (x.kind === "usage" ? (x.value as { node: string }).node : "")).sort()).toEqual([a!.backplane.nodeId, b!.backplane.nodeId].sort());
    // Far below the 20 s query timeout: the answers came back as soon as every node had answered.
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("answers a query with no answers when the node is alone", async () => {
    const [a] = await cluster(1);
    expect(await a!.backplane.query(HUB, { kind: "userExists", userId: "u" })).toEqual([]);
  });

  it.each([
    ["empty", new Uint8Array(0)],
    ["every byte value", Uint8Array.from({ length: 256 }, (_, i) => i)],
    ["invalid UTF-8", Uint8Array.from([0xff, 0xfe, 0xc3, 0x28, 0x00])],
    ["64 KiB", Uint8Array.from({ length: 65_536 }, (_, i) => (i * 31) % 256)],
  ])("carries %s payload bytes exactly", async (_name, data) => {
    const [a, b] = await cluster(2);
    const command: ClusterCommand = {
      kind: "deliver",
      target: { kind: "all", excluded: ["c1"], filter: "userId eq 'x'" },
      message: { from: "server", dataType: "binary", data, expiresAt: 1_900_000_000_000, fromUserId: null },
    };
    await a!.backplane.publish(HUB, command);
    await b!.receivedCount(1);
    const got = b!.received[0]!.command;
    expect(got.kind).toBe("deliver");
    if (got.kind !== "deliver") return;
    expect(Buffer.from(got.message.data).equals(Buffer.from(data))).toBe(true);
    expect(got.message.data.byteLength).toBe(data.byteLength);
    expect({ ...got, message: { ...got.message, data: null } }).toEqual({ ...command, message: { ...command.message, data: null } });
  });

  it("carries UTF-8 text and JSON payloads exactly", async () => {
    const [a, b] = await cluster(2);
    const text = new TextEncoder().encode("héllo → 世界 🎉");
    const json = new TextEncoder().encode('{"a":[1,"ü"]}');
    await a!.backplane.publish(HUB, deliver({ kind: "user", userId: "ü" }, text, "text"));
    await a!.backplane.publish(HUB, deliver({ kind: "connection", connectionId: "c" }, json, "json"));
    await b!.receivedCount(2);
    const [first, second] = b!.received.map((r) => r.command);
    expect(first?.kind === "deliver" && new TextDecoder().decode(first.message.data)).toBe("héllo → 世界 🎉");
    expect(second?.kind === "deliver" && new TextDecoder().decode(second.message.data)).toBe('{"a":[1,"ü"]}');
  });
});
