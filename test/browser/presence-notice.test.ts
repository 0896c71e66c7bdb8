import { describe, expect, it } from "vitest";
import { noticeBytes, presenceNotice, readPresenceNotice, refreshCost } from "../../web/src/presence-notice";

describe("presence notices", () => {
  it("round-trips through JSON as the send trigger delivers it", () => {
    const notice = presenceNotice("room-1", "joined", "alice");
    expect(readPresenceNotice(JSON.parse(JSON.stringify(notice)))).toEqual({ group: "room-1", change: "joined", userId: "alice" });
    expect(noticeBytes(notice.presence)).toBe(66);
  });

  it.each([null, "text", 5, {}, { presence: null }, { presence: { group: "g", change: "moved", userId: "u" } }, { presence: { group: 1, change: "left", userId: "u" } }])(
    "ignores %j",
    (data) => {
      expect(readPresenceNotice(data)).toBeUndefined();
    },
  );

  it.each([
    [{ group: "g", change: "left" as const, userId: "u" }, 3, 3, "Refreshed after u left: the 55-byte notice went to 3 connection(s) × 1 = 3 billed message(s); listing the members is a REST call, not a billed message."],
    // A notice just past 2 KB costs two messages per recipient.
    [{ group: "g", change: "joined" as const, userId: "x".repeat(2049 - 56) }, 4, 8, `Refreshed after ${"x".repeat(1993)} joined: the 2,049-byte notice went to 4 connection(s) × 2 = 8 billed message(s); listing the members is a REST call, not a billed message.`],
  ])("costs recipients × ceil(bytes / 2048): %#", (notice, recipients, billed, text) => {
    expect(refreshCost(notice, recipients)).toEqual({ billed, text });
  });
});
