import { describe, expect, it } from "vitest";
import { MAX_TIMER_DELAY_MS, UserGroupMemberships, type MembershipTimers } from "../../emulator/src/node/user-group-memberships";

/** A clock whose timers fire only when the test moves time on; setTimeout's own cap is kept. */
class FakeTimers implements MembershipTimers {
  time = 1000;
  private next = 1;
  readonly pending = new Map<number, { at: number; callback: () => void }>();
  now = (): number => this.time;
  setTimeout = (callback: () => void, ms: number): unknown => {
    const id = this.next++;
    // As Node does: a delay over 2^31 - 1 ms becomes 1 ms.
    this.pending.set(id, { at: this.time + (ms > MAX_TIMER_DELAY_MS ? 1 : ms), callback });
    return id;
  };
  clearTimeout = (handle: unknown): void => {
    this.pending.delete(handle as number);
  };
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const due = [...this.pending.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.pending.delete(due[0]);
      this.time = due[1].at;
      due[1].callback();
    }
    this.time = end;
  }
}

const at = (now: number): MembershipTimers => ({ now: () => now, setTimeout: () => 0, clearTimeout: () => {} });
import { ConnectionTokens } from "../../emulator/src/signalr/connection-tokens";
import { negotiate } from "./support/raw-signalr";
import { clientToken, SignalRFixture } from "./support/signalr-fixture";

describe("remembered user-group memberships", () => {
  it("keeps at most maxGroupsPerUser per user, forgetting the oldest", () => {
    const memberships = new UserGroupMemberships(at(0), undefined, 3, 100);
    for (const group of ["a", "b", "c", "d"]) memberships.remember("u", group, null);
    expect(memberships.groupsOf("u")).toEqual(["b", "c", "d"]);
    memberships.remember("u", "b", null); // renewing moves it to the newest place
    memberships.remember("u", "e", null);
    expect(memberships.groupsOf("u")).toEqual(["d", "b", "e"]);
    expect(memberships.size).toBe(3);
  });

  it("keeps at most maxEntries in all, forgetting the oldest user's oldest first", () => {
    const memberships = new UserGroupMemberships(at(0), undefined, 10, 4);
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
    const memberships = new UserGroupMemberships({ now: () => now, setTimeout: () => 0, clearTimeout: () => {} }, undefined, 10, 10);
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

describe("membership expiry timers", () => {
  const DAY = 86_400_000;

  it("a 30-day membership (past setTimeout's 24.8-day cap) lasts 30 days, not 1 ms", () => {
    const timers = new FakeTimers();
    const expired: string[] = [];
    const memberships = new UserGroupMemberships(timers, (user, group) => expired.push(`${user}/${group}`));
    memberships.remember("alice", "vip", timers.time + 30 * DAY);
    timers.advance(1);
    expect(memberships.groupsOf("alice")).toEqual(["vip"]);
    timers.advance(29 * DAY);
    expect([memberships.groupsOf("alice"), expired]).toEqual([["vip"], []]);
    timers.advance(DAY);
    expect([memberships.groupsOf("alice"), expired]).toEqual([[], ["alice/vip"]]);
    expect(memberships.timerCount).toBe(0);
  });

  it("renewing one membership 100,000 times leaves one timer armed", () => {
    const timers = new FakeTimers();
    const memberships = new UserGroupMemberships(timers);
    for (let i = 0; i < 100_000; i += 1) memberships.remember("alice", "vip", timers.time + 60_000 + i);
    expect(memberships.timerCount).toBe(1);
    expect(timers.pending.size).toBe(1);
    memberships.forget("alice", "vip");
    expect([memberships.timerCount, timers.pending.size]).toEqual([0, 0]);
  });

  it("an old timer never removes a membership added again since (ttl, then delete, then added without ttl)", () => {
    const timers = new FakeTimers();
    const expired: string[] = [];
    const memberships = new UserGroupMemberships(timers, (user, group) => expired.push(`${user}/${group}`));
    memberships.remember("alice", "vip", timers.time + 1);
    memberships.forget("alice", "vip");
    memberships.remember("alice", "vip", null);
    timers.advance(10);
    expect([memberships.groupsOf("alice"), expired]).toEqual([["vip"], []]);
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
