import { describe, expect, it } from "vitest";
import { UserGroupMemberships } from "../../emulator/src/node/user-group-memberships";
import { ConnectionTokens } from "../../emulator/src/signalr/connection-tokens";
import { negotiate } from "./support/raw-signalr";
import { clientToken, SignalRFixture } from "./support/signalr-fixture";

describe("remembered user-group memberships", () => {
  it("keeps at most maxGroupsPerUser per user, forgetting the oldest", () => {
    const memberships = new UserGroupMemberships(() => 0, 3, 100);
    for (const group of ["a", "b", "c", "d"]) memberships.remember("u", group, null);
    expect(memberships.groupsOf("u")).toEqual(["b", "c", "d"]);
    memberships.remember("u", "b", null); // renewing moves it to the newest place
    memberships.remember("u", "e", null);
    expect(memberships.groupsOf("u")).toEqual(["d", "b", "e"]);
    expect(memberships.size).toBe(3);
  });

  it("keeps at most maxEntries in all, forgetting the oldest user's oldest first", () => {
    const memberships = new UserGroupMemberships(() => 0, 10, 4);
    memberships.remember("u1", "a", null);
    memberships.remember("u1", "b", null);
    memberships.remember("u2", "a", null);
    memberships.remember("u2", "b", null);
    memberships.remember("u3", "a", null);
    expect(memberships.size).toBe(4);
    expect([memberships.groupsOf("u1"), memberships.groupsOf("u2"), memberships.groupsOf("u3")]).toEqual([["b"], ["a", "b"], ["a"]]);
  });

  it("drops expired memberships when read", () => {
    let now = 1000;
    const memberships = new UserGroupMemberships(() => now, 10, 10);
    memberships.remember("u", "short", 1500);
    memberships.remember("u", "long", null);
    expect(memberships.groupsOf("u")).toEqual(["short", "long"]);
    now = 1500;
    expect(memberships.groupsOf("u")).toEqual(["long"]);
    expect(memberships.size).toBe(1);
    memberships.forgetAll("u");
    expect(memberships.size).toBe(0);
  });
});

describe("negotiated connections waiting for their socket", () => {
  const entry = { hubKey: "signalr:chat", hub: "chat", connectionId: "c", identity: { userId: null, claims: [] } };

  it("refuses past maxEntries, and makes room as entries expire", () => {
    let now = 0;
    const tokens = new ConnectionTokens(() => now, 100, 2);
    expect(tokens.add("t1", entry)).toBe(true);
    expect(tokens.add("t2", entry)).toBe(true);
    expect(tokens.add("t3", entry)).toBe(false);
    now = 100;
    expect(tokens.add("t3", entry)).toBe(true);
    expect(tokens.size).toBe(1);
    expect(tokens.take("t1")).toBeUndefined();
    expect(tokens.take("t3")?.connectionId).toBe("c");
    expect(tokens.take("t3")).toBeUndefined(); // single use
  });

  it("negotiate answers 429 with an ErrorDetail once the table is full", async () => {
    const fixture = new SignalRFixture();
    try {
      const server = await fixture.start({ signalr: { maxPendingConnections: 2 } });
      await negotiate(server, "chat");
      await negotiate(server, "chat");
      const refused = await fetch(`${server.url}/client/negotiate?hub=chat&negotiateVersion=1`, { method: "POST", headers: { authorization: `Bearer ${clientToken("chat")}` } });
      expect(refused.status).toBe(429);
      expect(await refused.json()).toEqual({ code: "Error.TooManyPendingConnections", message: "Too many negotiated connections are waiting for their WebSocket." });
    } finally {
      await fixture.cleanup();
    }
  });
});
