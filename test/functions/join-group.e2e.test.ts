import { describe, expect, it } from "vitest";
import { createGroupHandler } from "../../functions/group";
import { createGroupMembershipHandler } from "../../functions/join-group";
import { useLiveService } from "./support/live-service";
import { invoke, makeDeps } from "./support/trigger-harness";

const suite = useLiveService();

/** The suite's service, with the allow-list a deployment would set. */
function deps(settings: Record<string, string> = {}) {
  return makeDeps({ WebPubSubConnectionString: suite.server.connectionString, AllowedGroups: "lobby,room-*", DefaultGroups: "everyone", ...settings });
}

const groupExists = async (group: string) => (await invoke(createGroupHandler(deps()), { method: "HEAD", path: "/api/x", params: { group } })).status === 200;

describe("the user-facing join-group and leave-group routes", () => {
  it("join a group the allow-list allows, then leave it", async () => {
    const live = await suite.connect("joiner");
    const join = await invoke(createGroupMembershipHandler("join", deps()), { method: "POST", path: `/api/join-group?group=room-7&connectionId=${live.connectionId}&userId=joiner` });
    expect(join).toMatchObject({ status: 200, body: { group: "room-7", connectionId: live.connectionId, joined: true } });
    expect(await groupExists("room-7")).toBe(true);
    const leave = await invoke(createGroupMembershipHandler("leave", deps()), { method: "POST", path: `/api/leave-group?group=room-7&connectionId=${live.connectionId}&userId=joiner` });
    expect(leave).toMatchObject({ status: 200, body: { group: "room-7", connectionId: live.connectionId, joined: false } });
    expect(await groupExists("room-7")).toBe(false);
  });

  it("act only on the caller's own connection: another user naming it changes nothing, and is logged as themselves", async () => {
    const victim = await suite.connect("victim", ["everyone"]);
    const own = await invoke(createGroupMembershipHandler("join", deps()), { method: "POST", path: `/api/join-group?group=room-9&connectionId=${victim.connectionId}&userId=victim` });
    expect(own.status).toBe(200);
    expect(await groupExists("room-9")).toBe(true);
    // mallory knows the id (presence lists show it) and tries to take victim out, then to push it into another group.
    const leave = await invoke(createGroupMembershipHandler("leave", deps()), { method: "POST", path: `/api/leave-group?group=room-9&connectionId=${victim.connectionId}&userId=mallory` });
    expect(leave.status).toBe(200);
    expect(await groupExists("room-9")).toBe(true);
    const push = await invoke(createGroupMembershipHandler("join", deps()), { method: "POST", path: `/api/join-group?group=room-10&connectionId=${victim.connectionId}&userId=mallory` });
    expect(push.status).toBe(200);
    expect(await groupExists("room-10")).toBe(false);
    expect(leave.logs.join("\n")).toContain('user "mallory"');
    // The default group, which every token joins, cannot be left through someone else either.
    await invoke(createGroupMembershipHandler("leave", deps()), { method: "POST", path: `/api/leave-group?group=everyone&connectionId=${victim.connectionId}&userId=mallory` });
    expect(await groupExists("everyone")).toBe(true);
  });

  it("refuse a group outside the allow-list with 403, as negotiate does, and leave the service untouched", async () => {
    const live = await suite.connect("joiner");
    const refused = await invoke(createGroupMembershipHandler("join", deps()), { method: "POST", path: `/api/join-group?group=admins&connectionId=${live.connectionId}` });
    expect(refused).toMatchObject({ status: 403, body: { code: "GroupNotAllowed", message: 'Group "admins" is not in the allow-list (AllowedGroups).' } });
    expect(await groupExists("admins")).toBe(false);
  });

  it("allow a default group, which every token gets anyway", async () => {
    const live = await suite.connect("joiner");
    const join = await invoke(createGroupMembershipHandler("join", deps()), { method: "POST", path: `/api/join-group?group=everyone&connectionId=${live.connectionId}&userId=joiner` });
    expect(join.status).toBe(200);
  });

  it.each([
    ["no group", "/api/join-group?connectionId=c1", 400, "InvalidQuery"],
    ["no connection", "/api/join-group?group=lobby", 400, "InvalidQuery"],
    ["an empty group name", "/api/join-group?group=&connectionId=c1", 400, "InvalidGroupName"],
  ])("answer %s with %i %s", async (_name, path, status, code) => {
    expect(await invoke(createGroupMembershipHandler("join", deps()), { method: "POST", path })).toMatchObject({ status, body: { code } });
  });

  it("require the identity mode's sign-in, as negotiate does", async () => {
    const strict = deps({ IdentityMode: "easyauth" });
    const response = await invoke(createGroupMembershipHandler("join", strict), { method: "POST", path: "/api/join-group?group=lobby&connectionId=c1" });
    expect(response).toMatchObject({ status: 401, body: { code: "Unauthenticated" } });
  });
});
