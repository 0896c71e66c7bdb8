/**
 * Names that are also Object.prototype's members (`constructor`, `toString`, `valueOf`,
 * `hasOwnProperty`) as hub names, query parameters and settings-file hubs: each is an ordinary
 * name. Before, the first connection to hub `constructor` threw inside the upgrade and ended the
 * whole process, and REST calls to such a hub answered 500.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createUsageMeter } from "../../emulator/src/metering/usage-meter";
import { handlersForHub, parseUpstreamSettings } from "../../emulator/src/upstream/upstream-settings";
import { EmulatorFixture } from "../emulator/support/emulator-fixture";

const NAMES = ["constructor", "toString", "valueOf", "hasOwnProperty", "isPrototypeOf", "propertyIsEnumerable", "toLocaleString"];
const fixture = new EmulatorFixture();
afterEach(() => fixture.cleanup());

describe("hub and parameter names that are Object.prototype members", () => {
  it("connect, receive REST sends and show in /api/usage, while a bystander of another hub stays connected", async () => {
    const server = await fixture.start();
    const bystander = await fixture.openSocket(await fixture.clientUrl(server, "chat"));
    for (const hub of NAMES) {
      const { inbox } = await fixture.openSocket(await fixture.clientUrl(server, hub, { userId: "u" }));
      const service = fixture.serviceClient(server, hub);
      await service.sendToAll("hello", { contentType: "text/plain" });
      expect((await inbox.frameCount(1)).map((frame) => frame.data.toString())).toEqual(["hello"]);
      expect(await service.userExists("u")).toBe(true);
      expect(await service.groupExists("g")).toBe(false);
    }
    const usage = (await (await fetch(`${server.url}/api/usage`)).json()) as { sinceStart: { hubs: Record<string, { connections: { current: number } }> } };
    for (const hub of NAMES) expect(usage.sinceStart.hubs[hub]?.connections.current, hub).toBe(1);
    expect(bystander.inbox.closed).toBeUndefined();
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain('hub="constructor"');
  });

  it("query parameters named constructor, toString or __proto__ on the connect URL are ignored like any unknown one", async () => {
    const server = await fixture.start();
    const url = `${await fixture.clientUrl(server, "chat")}&toString=1&constructor=1&__proto__=x&valueOf=2&hasOwnProperty=3`;
    const { socket, inbox } = await fixture.openSocket(url);
    expect(socket.readyState).toBe(socket.OPEN);
    await fixture.serviceClient(server, "chat").sendToAll("still here", { contentType: "text/plain" });
    expect((await inbox.frameCount(1))[0]!.data.toString()).toBe("still here");
  });

  it("a settings file may name such a hub, and its handlers are that hub's only", () => {
    const settings = parseUpstreamSettings({
      WebPubSub: { Hubs: { constructor: { EventHandlers: [{ UrlTemplate: "http://localhost:7071/api/events/{hub}", UserEventPattern: "*", SystemEvents: ["connected"] }] } } },
    });
    expect(handlersForHub(settings, "constructor").map((handler) => handler.urlTemplate)).toEqual(["http://localhost:7071/api/events/{hub}"]);
    expect(handlersForHub(settings, "toString")).toEqual([]);
    expect(handlersForHub(settings, "chat")).toEqual([]);
  });

  it("a throw while one session opens closes that socket with 1011; the process and the other clients go on", async () => {
    const meter = createUsageMeter();
    const failing = {
      ...meter,
      connectionOpened: (hub: string) => {
        if (hub === "boom") throw new Error("the meter broke");
        meter.connectionOpened(hub);
      },
    };
    const errors: string[] = [];
    const server = await fixture.start({ meter: failing, logger: { info: () => {}, warn: () => {}, error: (line) => errors.push(line) } });
    const bystander = await fixture.openSocket(await fixture.clientUrl(server, "chat"));
    const doomed = await fixture.openSocket(await fixture.clientUrl(server, "boom")).then(
      ({ inbox }) => inbox.closeEvent(),
      (error: Error) => ({ code: -1, reason: error.message }),
    );
    expect(doomed).toEqual({ code: 1011, reason: "The connection could not be set up." });
    expect(errors).toEqual(["opening a session failed: the meter broke"]);
    await fixture.serviceClient(server, "chat").sendToAll("after", { contentType: "text/plain" });
    expect((await bystander.inbox.frameCount(1))[0]!.data.toString()).toBe("after");
  });
});
