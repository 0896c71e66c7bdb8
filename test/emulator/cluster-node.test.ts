import { afterEach, describe, expect, it } from "vitest";
import { InProcessBus } from "../../emulator/src/backplane/in-process-backplane";
import { EmulatorFixture } from "./support/emulator-fixture";

const fixture = new EmulatorFixture();
afterEach(() => fixture.cleanup());

describe("two nodes on one in-process bus", () => {
  it("answer for the whole cluster and deliver commands to the other node's connections", async () => {
    const bus = new InProcessBus();
    const key = "CLUSTER-KEY-0123456789-0123456789-abcdefgh";
    const first = await fixture.start({ backplane: bus.createBackplane("n1"), accessKey: key });
    const second = await fixture.start({ backplane: bus.createBackplane("n2"), accessKey: key });
    const onSecond = await fixture.openSocket(await fixture.clientUrl(second, "hub1", { userId: "u2", groups: ["g"] }), "json.webpubsub.azure.v1");
    const connectionId = (await onSecond.inbox.jsonWhere((f) => f.type === "system")).connectionId as string;

    expect(await first.service.connectionExists("hub1", connectionId)).toBe(true);
    expect(await first.service.userExists("hub1", "u2")).toBe(true);
    expect(await first.service.groupConnections("hub1", "g")).toEqual([{ connectionId, userId: "u2" }]);
    await first.service.execute("hub1", { kind: "grantPermission", connectionId, permission: "sendToGroup", targetName: "g" });
    expect(await first.service.hasPermission("hub1", connectionId, "sendToGroup", "g")).toBe(true);

    await fixture.serviceClient(first).group("g").sendToAll("via n1", { contentType: "text/plain" });
    expect(await onSecond.inbox.jsonWhere((f) => f.type === "message")).toEqual({ type: "message", from: "server", dataType: "text", data: "via n1" });

    await first.service.execute("hub1", { kind: "removeUserFromAllGroups", userId: "u2" });
    expect(await second.service.groupExists("hub1", "g")).toBe(false);
    await first.service.execute("hub1", { kind: "close", target: { kind: "user", userId: "u2" }, reason: "done" });
    expect((await onSecond.inbox.closeEvent()).code).toBe(1000);
    expect(await first.service.connectionExists("hub1", connectionId)).toBe(false);
  });
});
