/**
 * Presence through the function app on one local service node: the triggers called with a real
 * HttpRequest, the official SDK underneath, real clients connected through negotiate.
 */
import { describe, expect, it } from "vitest";
import { createGroupMemberCountHandler } from "../../functions/group-member-count";
import { createGroupMembersHandler } from "../../functions/group-members";
import { createUserOnlineHandler } from "../../functions/user-online";
import { countGroupMembers, type GroupMember } from "../../shared/group-presence";
import { continuationTokenOf } from "../../shared/web-pubsub-presence";
import { useLiveService } from "./support/live-service";
import { invoke, makeDeps } from "./support/trigger-harness";

const suite = useLiveService();

interface MembersBody {
  group: string;
  members: GroupMember[];
  continuationToken: string | null;
}

async function members(group: string, query = "") {
  return invoke(createGroupMembersHandler(suite.deps), { path: `/api/groups/x/members${query}`, params: { group } });
}

// The local service lists members in connection id order (code units); compare as sets anyway.
const byConnection = (a: GroupMember, b: GroupMember) => (a.connectionId < b.connectionId ? -1 : a.connectionId > b.connectionId ? 1 : 0);

describe("group members, counts and online users", () => {
  it("lists a group's connections with their users, page by page, and counts them", async () => {
    const clients = [await suite.connect("alice", ["room"]), await suite.connect("alice", ["room"]), await suite.connect("bob", ["room"])];
    await suite.connect("carol", ["other"]);
    clients.push(await suite.connect("dave", ["room", "other"]));
    const expected = clients.map((c) => ({ connectionId: c.connectionId, userId: c.userId })).sort(byConnection);

    const whole = await members("room");
    expect(whole.status).toBe(200);
    const body = whole.body as MembersBody;
    expect({ ...body, members: [...body.members].sort(byConnection) }).toEqual({ group: "room", members: expected, continuationToken: null });

    const seen: GroupMember[] = [];
    const sizes: number[] = [];
    let token: string | null = null;
    do {
      const query: string = `?maxPageSize=3${token ? `&continuationToken=${encodeURIComponent(token)}` : ""}`;
      const page = (await members("room", query)).body as MembersBody;
      sizes.push(page.members.length);
      seen.push(...page.members);
      token = page.continuationToken;
    } while (token !== null);
    expect(sizes).toEqual([3, 1]);
    expect(seen.sort(byConnection)).toEqual(expected);

    const count = (query: string) => invoke(createGroupMemberCountHandler(suite.deps), { path: `/api/groups/x/members/count${query}`, params: { group: "room" } });
    expect((await count("")).body).toEqual({ group: "room", count: 4, capped: false, cap: 10_000 });
    expect((await count("?cap=4")).body).toEqual({ group: "room", count: 4, capped: false, cap: 4 });
    expect((await count("?cap=3")).body).toEqual({ group: "room", count: 3, capped: true, cap: 3 });
    // Counting walks pages: with 1-member pages it reads 4 pages and still answers 4.
    const presence = suite.deps.service;
    expect(await countGroupMembers(presence, "room", 100, 1)).toEqual({ count: 4, capped: false, cap: 100 });
    expect(await countGroupMembers(presence, "room", 2, 1)).toEqual({ count: 2, capped: true, cap: 2 });
    expect((await members("nobody-here")).body).toEqual({ group: "nobody-here", members: [], continuationToken: null });
  });

  it("says whether a user is online, 200 either way", async () => {
    await suite.connect("erin");
    const online = (userId: string) => invoke(createUserOnlineHandler(suite.deps), { path: "/api/users/x/online", params: { userId } });
    expect(await online("erin")).toMatchObject({ status: 200, body: { userId: "erin", online: true } });
    expect(await online("frank")).toMatchObject({ status: 200, body: { userId: "frank", online: false } });
  });

  it.each([
    ["?maxPageSize=0", "?maxPageSize= must be an integer from 1 to 200."],
    ["?maxPageSize=201", "?maxPageSize= must be an integer from 1 to 200."],
    ["?maxPageSize=2.5", "?maxPageSize= must be an integer from 1 to 200."],
    ["?continuationToken=%3Cscript%3E", "?continuationToken= is not one this app issued."],
    [`?continuationToken=${"a".repeat(1025)}`, "?continuationToken= is not one this app issued."],
  ])("refuses %s with 400 InvalidQuery", async (query, message) => {
    expect(await members("room", query)).toMatchObject({ status: 400, body: { code: "InvalidQuery", message } });
  });

  it("refuses a bad cap, a bad group and a bad user id", async () => {
    const count = await invoke(createGroupMemberCountHandler(suite.deps), { path: "/api/groups/x/members/count?cap=100001", params: { group: "room" } });
    expect(count).toMatchObject({ status: 400, body: { code: "InvalidQuery", message: "?cap= must be an integer from 1 to 100,000.", parameter: "cap" } });
    expect(await members("   ")).toMatchObject({ status: 400, body: { code: "InvalidGroupName" } });
    const user = await invoke(createUserOnlineHandler(suite.deps), { path: "/api/users/x/online", params: { userId: "a\u0001b" } });
    expect(user).toMatchObject({ status: 400, body: { code: "InvalidUserId" } });
  });

  it("a token the service did not issue is the caller's input, so the service's 400 stays a 400 ServiceRejectedInput", async () => {
    const response = await members("room", "?continuationToken=abc%3D");
    expect(response).toMatchObject({ status: 400, body: { code: "ServiceRejectedInput", serviceStatus: 400, serviceCode: "InvalidContinuationToken" } });
  });

  it("an unreachable service is a 502 ServiceUnreachable", async () => {
    const deps = makeDeps();
    const response = await invoke(createGroupMembersHandler(deps), { path: "/api/groups/x/members", params: { group: "room" } });
    expect(response).toMatchObject({ status: 502, body: { code: "ServiceUnreachable", serviceCode: "ECONNREFUSED" } });
  });

  it.each([
    [undefined, null],
    ["", null],
    ["https://x.webpubsub.azure.com/api/hubs/h/groups/g/connections?api-version=2024-01-01&continuationToken=abc", "abc"],
    ["/api/hubs/h/groups/g/connections?continuationToken=a%2Bb", "a+b"],
    ["/api/hubs/h/groups/g/connections?maxpagesize=2", null],
  ])("takes only the continuation token out of the service's next link %s", (link, token) => {
    expect(continuationTokenOf(link)).toBe(token);
  });
});
