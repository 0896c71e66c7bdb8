/**
 * Presence across two local service nodes linked by a real Redis: clients on both nodes, the
 * function app's presence triggers served by the local functions host (function keys enforced,
 * as for every management route) with the official SDK pointed at one node.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ServiceServer } from "../../emulator/src/server";
import { createGroupMemberCountHandler } from "../../functions/group-member-count";
import { createGroupMembersHandler } from "../../functions/group-members";
import { groupMemberCountRoute } from "../../functions/group-member-count";
import { groupMembersRoute } from "../../functions/group-members";
import type { RouteDefinition } from "../../functions/route-table-types";
import type { TriggerDeps } from "../../functions/trigger-deps";
import { createUserOnlineHandler, userOnlineRoute } from "../../functions/user-online";
import { createFunctionsHost, type FunctionsHost } from "../../host/functions-host";
import type { GroupMember } from "../../shared/group-presence";
import { makeDeps } from "../functions/support/trigger-harness";
import { requiredBinary } from "../support/required-binary";
import { startRedisServer, type RedisServerProcess } from "../support/redis-server";
import { connectClient, startCluster, type TestClient } from "./cluster-harness";

const redisBinary = requiredBinary("redis-server", ["/usr/bin/redis-server"]);
const HUB = "chat"; // the function app's default hub
const KEY = "presence-key";
const byConnection = (a: GroupMember, b: GroupMember) => (a.connectionId < b.connectionId ? -1 : a.connectionId > b.connectionId ? 1 : 0);

/** The presence routes as the route table defines them, with handlers built on `deps` (one node's connection string). */
function presenceRoutes(deps: TriggerDeps): RouteDefinition[] {
  return [
    { ...groupMembersRoute, handler: createGroupMembersHandler(deps) },
    { ...groupMemberCountRoute, handler: createGroupMemberCountHandler(deps) },
    { ...userOnlineRoute, handler: createUserOnlineHandler(deps) },
  ];
}

describe.skipIf(!redisBinary)("presence across two Redis-linked nodes", () => {
  let redis: RedisServerProcess;
  let nodes: ServiceServer[];
  const hosts: FunctionsHost[] = [];
  const clients: TestClient[] = [];
  let expected: GroupMember[];

  beforeAll(async () => {
    redis = await startRedisServer(redisBinary!);
    nodes = await startCluster(redis.url, 2);
    const on = async (node: number, userId: string, groups: string[]) => {
      const client = await connectClient(nodes[node]!, HUB, { userId, groups });
      clients.push(client);
      return client;
    };
    const room = [await on(0, "alice", ["room"]), await on(1, "alice", ["room"]), await on(1, "bob", ["room"]), await on(0, "carol", ["room"])];
    await on(1, "dave", ["hall"]);
    expected = room.map((c) => ({ connectionId: c.connectionId, userId: c.userId! })).sort(byConnection);
    for (const node of nodes) {
      hosts.push(await createFunctionsHost({ routes: presenceRoutes(makeDeps({ WebPubSubConnectionString: node.connectionString })), port: 0, functionKeys: [KEY], cors: {} }));
    }
  }, 30_000);

  afterAll(async () => {
    for (const client of clients) client.client.stop();
    for (const host of hosts) await host.close();
    for (const node of nodes ?? []) await node.close();
    await redis?.stop();
  });

  const get = async (host: FunctionsHost, path: string, key = KEY) => {
    const response = await fetch(`${host.url}/api/${path}`, { headers: key ? { "x-functions-key": key } : {} });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it("either node's function app lists every member of the group, page by page", async () => {
    for (const host of hosts) {
      const whole = await get(host, "groups/room/members");
      expect(whole.status).toBe(200);
      expect({ ...whole.body, members: [...(whole.body.members as GroupMember[])].sort(byConnection) }).toEqual({ group: "room", members: expected, continuationToken: null });
      const first = await get(host, "groups/room/members?maxPageSize=3");
      expect((first.body.members as GroupMember[]).length).toBe(3);
      const second = await get(host, `groups/room/members?maxPageSize=3&continuationToken=${encodeURIComponent(first.body.continuationToken as string)}`);
      expect(second.body.continuationToken).toBeNull();
      expect([...(first.body.members as GroupMember[]), ...(second.body.members as GroupMember[])].sort(byConnection)).toEqual(expected);
    }
  });

  it("counts the members of both nodes, up to the cap", async () => {
    expect(await get(hosts[0]!, "groups/room/members/count")).toEqual({ status: 200, body: { group: "room", count: 4, capped: false, cap: 10_000 } });
    expect(await get(hosts[1]!, "groups/room/members/count?cap=2")).toEqual({ status: 200, body: { group: "room", count: 2, capped: true, cap: 2 } });
  });

  it("sees a user online on the other node", async () => {
    expect(await get(hosts[0]!, "users/dave/online")).toEqual({ status: 200, body: { userId: "dave", online: true } });
    expect(await get(hosts[1]!, "users/erin/online")).toEqual({ status: 200, body: { userId: "erin", online: false } });
  });

  it("needs a function key like the other management routes", async () => {
    for (const path of ["groups/room/members", "groups/room/members/count", "users/dave/online"]) {
      expect(await get(hosts[0]!, path, "")).toMatchObject({ status: 401, body: { code: "FunctionKeyRequired" } });
      expect((await get(hosts[0]!, path, "wrong")).status).toBe(401);
    }
  });
});
