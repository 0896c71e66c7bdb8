import { describe, expect, it } from "vitest";
import { decideGrants, matchesAllowList } from "../../shared/grant-policy";

const policy = {
  allowedGroups: ["lobby", "room-*"],
  allowedRoles: ["webpubsub.joinLeaveGroup.room-*", "webpubsub.sendToGroup.lobby"],
  defaultGroups: ["everyone"],
  defaultRoles: ["webpubsub.joinLeaveGroup.everyone"],
};

describe("decideGrants (shared by negotiate and the connect event)", () => {
  it.each([
    ["lobby", ["lobby", "room-*"], true],
    ["room-", ["room-*"], true],
    ["room-1.a", ["room-*"], true],
    ["Room-1", ["room-*"], false],
    ["xroom-1", ["room-*"], false],
    ["a.b", ["a?b"], false],
    ["anything at all", ["*"], true],
    ["lobby", [], false],
  ])("matches %j against %j → %s", (name, patterns, expected) => {
    expect(matchesAllowList(name, patterns)).toBe(expected);
  });

  it("grants requested groups and roles plus the defaults, without duplicates", () => {
    expect(decideGrants(policy, { groups: ["room-1", "everyone", "room-1"], roles: ["webpubsub.sendToGroup.lobby"] })).toEqual({
      allowed: true,
      groups: ["everyone", "room-1"],
      roles: ["webpubsub.joinLeaveGroup.everyone", "webpubsub.sendToGroup.lobby"],
    });
  });

  it("refuses the whole request when one group is not allowed, never trimming it", () => {
    const decision = decideGrants(policy, { groups: ["lobby", "staff"], roles: [] });
    expect(decision.allowed).toBe(false);
    expect(decision.allowed ? null : [decision.error.status, decision.error.code, decision.error.message]).toEqual([403, "GroupNotAllowed", 'Group "staff" is not in the allow-list (AllowedGroups).']);
  });

  it("refuses a role outside the allow-list with 403 and a malformed one with 400", () => {
    const forbidden = decideGrants(policy, { groups: [], roles: ["webpubsub.sendToGroup"] });
    const malformed = decideGrants(policy, { groups: [], roles: ["webpubsub.owner"] });
    expect(forbidden.allowed ? null : [forbidden.error.status, forbidden.error.code]).toEqual([403, "RoleNotAllowed"]);
    expect(malformed.allowed ? null : [malformed.error.status, malformed.error.code]).toEqual([400, "InvalidRole"]);
  });
});
