import { describe, expect, it } from "vitest";
import { ConnectionPermissions, compileGroupPattern } from "../../emulator/src/auth/permissions";
import { AckTracker } from "../../emulator/src/node/ack-tracker";
import { ReliableOutbox } from "../../emulator/src/node/reliable-outbox";

describe("group patterns", () => {
  it.each([
    ["a.*", "a.b", true],
    ["a.*", "a.b.c", false],
    ["a.**", "a.b.c", true],
    ["a.?", "a.b", true],
    ["a.?", "a.bc", false],
    ["a.?", "a..", false],
    ["room", "Room", false],
    ["r(1)", "r(1)", true],
    ["*", "", true],
  ])("%s matches %s: %s", (pattern, group, expected) => {
    expect(compileGroupPattern(pattern).test(group)).toBe(expected);
  });
});

describe("ConnectionPermissions", () => {
  it("combines all-group, exact and wildcard roles per permission", () => {
    const p = new ConnectionPermissions(["webpubsub.joinLeaveGroup", "webpubsub.sendToGroup.g1", "webpubsub.sendToGroups.team.*"]);
    expect([p.has("joinLeaveGroup", "any"), p.has("joinLeaveGroup")]).toEqual([true, true]);
    expect([p.has("sendToGroup", "g1"), p.has("sendToGroup", "g2"), p.has("sendToGroup", "team.red"), p.has("sendToGroup", "team.red.x"), p.has("sendToGroup")]).toEqual([
      true,
      false,
      true,
      false,
      false,
    ]);
  });

  it("applies REST grants and revokes, per group and for all groups", () => {
    const p = new ConnectionPermissions(["webpubsub.joinLeaveGroup"]);
    p.revoke("joinLeaveGroup", "locked");
    expect([p.has("joinLeaveGroup", "locked"), p.has("joinLeaveGroup", "open")]).toEqual([false, true]);
    p.grant("joinLeaveGroup", "locked");
    expect(p.has("joinLeaveGroup", "locked")).toBe(true);
    p.revoke("joinLeaveGroup");
    expect([p.has("joinLeaveGroup", "open"), p.has("joinLeaveGroup")]).toEqual([false, false]);
    p.grant("sendToGroup", "g");
    expect([p.has("sendToGroup", "g"), p.has("sendToGroup")]).toEqual([true, false]);
    p.grant("sendToGroup");
    expect(p.has("sendToGroup")).toBe(true);
  });

  it("with no role only events are possible", () => {
    const p = new ConnectionPermissions([]);
    expect([p.has("joinLeaveGroup", "g"), p.has("sendToGroup", "g")]).toEqual([false, false]);
  });
});

describe("ReliableOutbox", () => {
  it("numbers from 1, trims on ack, reports overflow past the message or byte limit", () => {
    const outbox = new ReliableOutbox(3, 10);
    const ids = [outbox.nextSequenceId(), outbox.nextSequenceId()];
    expect(ids).toEqual([1, 2]);
    expect(outbox.keep(1, Buffer.from("aaa"))).toBe(true);
    expect(outbox.keep(2, Buffer.from("bbb"))).toBe(true);
    outbox.ack(1);
    expect(outbox.unacked().map(String)).toEqual(["bbb"]);
    expect(outbox.keep(outbox.nextSequenceId(), Buffer.from("ccc"))).toBe(true);
    expect(outbox.keep(outbox.nextSequenceId(), Buffer.from("dddd"))).toBe(true); // 3 msgs, 10 bytes
    expect(outbox.keep(outbox.nextSequenceId(), Buffer.from("e"))).toBe(false);
  });
});

describe("AckTracker", () => {
  it("remembers ids within its window below the highest one, forgetting older ones", () => {
    const acks = new AckTracker(8);
    expect([acks.record(1), acks.record(1), acks.record(2), acks.record(3)]).toEqual([true, false, true, true]);
    expect([acks.has(1), acks.has(2), acks.has(3), acks.has(4)]).toEqual([true, true, true, false]);
    acks.record(9); // the window is now 2..9
    expect([acks.has(1), acks.has(2), acks.has(3), acks.has(9), acks.has(5)]).toEqual([false, true, true, true, false]);
    acks.record(100); // a jump past the window forgets everything below it
    expect([acks.has(9), acks.has(100)]).toEqual([false, true]);
    expect(acks.record(95)).toBe(true); // inside the window, not seen yet
    expect(acks.has(95)).toBe(true);
    expect(acks.record(50)).toBe(true); // older than the window: runs, not kept
    expect(acks.has(50)).toBe(false);
  });

  it("a repeat of an id still running sees the first outcome, and only a success is recorded", async () => {
    const acks = new AckTracker();
    let finish!: (outcome: { ok: true } | { ok: false; name: string; message: string }) => void;
    const first = acks.track(7, new Promise((resolve) => (finish = resolve)));
    expect(acks.inFlight(7)).toBeDefined();
    finish({ ok: false, name: "InternalServerError", message: "upstream failed" });
    expect(await first).toEqual({ ok: false, name: "InternalServerError", message: "upstream failed" });
    expect([acks.inFlight(7), acks.has(7), acks.runningCount]).toEqual([undefined, false, 0]);
    await acks.track(7, Promise.resolve({ ok: true }));
    expect(acks.has(7)).toBe(true);
  });
});
