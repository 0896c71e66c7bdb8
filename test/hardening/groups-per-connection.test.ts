import { afterEach, describe, expect, it } from "vitest";
import { EmulatorFixture } from "../emulator/support/emulator-fixture";

// A client allowed to join any group could join without end; the groups it joins itself are bounded.
const fixture = new EmulatorFixture();
afterEach(() => fixture.cleanup());

describe("groups one connection may join", () => {
  it("refuses the join past maxGroupsPerConnection with a BadRequest ack; rejoining a group it is in still works", async () => {
    const server = await fixture.start({ maxGroupsPerConnection: 3 });
    const url = await fixture.clientUrl(server, "hub1", { userId: "u1", roles: ["webpubsub.joinLeaveGroup"] });
    const { socket, inbox } = await fixture.openSocket(url, "json.webpubsub.azure.v1");
    await inbox.frameCount(1);
    for (const [ackId, group] of [[1, "a"], [2, "b"], [3, "c"], [4, "d"], [5, "a"]] as const) socket.send(JSON.stringify({ type: "joinGroup", group, ackId }));
    const frames = (await inbox.frameCount(6)).slice(1).map((f) => JSON.parse(f.data.toString()) as unknown);
    expect(frames).toEqual([
      { type: "ack", ackId: 1, success: true },
      { type: "ack", ackId: 2, success: true },
      { type: "ack", ackId: 3, success: true },
      { type: "ack", ackId: 4, success: false, error: { name: "BadRequest", message: "The connection is already in 3 groups, the most one connection may join." } },
      { type: "ack", ackId: 5, success: true },
    ]);
    expect(await server.service.groupExists("hub1", "d")).toBe(false);
  });
});
