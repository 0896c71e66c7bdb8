/**
 * The function app's handler registry behind the local service, with the official client:
 * `invokeEvent` answered by the events trigger (echo, the built-in memberCount, an app-defined
 * handler, no handler), and group presence events turned into notices to the group's members.
 */
import type { OnServerDataMessageArgs, WebPubSubClient } from "@azure/web-pubsub-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEventsHandler } from "../../functions/events";
import { appHandlers } from "../../functions/app-handlers";
import { json, text, type AppHandlers } from "../../shared/app-handlers";
import { AppError } from "../../shared/errors";
import { parseConfig } from "../../shared/config";
import { parseEventsConfig } from "../../shared/events-config";
import { createRealtimeService } from "../../shared/realtime-service-factory";
import { parseUpstreamSettings } from "../../emulator/src/upstream/upstream-settings";
import type { FunctionsHost } from "../../host/functions-host";
import { until } from "../support/until";
import { startLazyFunctionsHost, startServiceWithUpstream, type ServiceWithUpstream } from "./support/upstream-stack";

let fn: FunctionsHost;
let stack: ServiceWithUpstream;

/** The app's handlers plus one of the test's own, registered the way a user adds theirs. */
const handlers: AppHandlers = {
  ...appHandlers,
  shout: (request) => {
    if (request.data?.dataType !== "text") throw new AppError("InvalidQuery", "shout takes text.");
    return text(request.data.value.toUpperCase());
  },
  whoAmI: (_request, context) => json({ userId: context.userId, hub: context.hub, service: context.service }),
};

beforeAll(async () => {
  const lazy = await startLazyFunctionsHost("events/{hub?}");
  fn = lazy.host;
  stack = await startServiceWithUpstream(
    parseUpstreamSettings({
      WebPubSub: { Hubs: { chat: { EventHandlers: [{ UrlTemplate: `${fn.url}/api/events/{hub}`, SystemEvents: ["joined", "left"], EventPattern: "*" }] } } },
    }),
  );
  const config = parseConfig({ WebPubSubConnectionString: stack.service.connectionString, WebPubSubHub: "chat", AllowedGroups: "room-*", WebPubSubMaxRetries: "0" });
  lazy.setHandler(createEventsHandler({ config, service: createRealtimeService(config) }, parseEventsConfig({}, config), handlers));
});

afterAll(async () => {
  await stack?.close();
  await fn?.close();
});

async function failure(client: WebPubSubClient, event: string, payload: string): Promise<{ name?: string; message?: string }> {
  try {
    await client.invokeEvent(event, payload, "text");
  } catch (error) {
    return (error as { errorDetail?: { name?: string; message?: string } }).errorDetail ?? { message: String(error) };
  }
  throw new Error(`${event} succeeded`);
}

describe("invocations answered by the events trigger", () => {
  it("echo returns the payload with its type", async () => {
    const c = await stack.client("chat", { userId: "ann" });
    expect(await c.invokeEvent("echo", "hi", "text")).toMatchObject({ dataType: "text", data: "hi" });
    expect(await c.invokeEvent("echo", { n: [1, 2] }, "json")).toMatchObject({ dataType: "json", data: { n: [1, 2] } });
    const binary = await c.invokeEvent("echo", new Uint8Array([9, 8]).buffer, "binary");
    expect([...new Uint8Array(binary.data as ArrayBuffer)]).toEqual([9, 8]);
  });

  it("memberCount reads the group through the SDK, for groups the grant policy allows only", async () => {
    const members = [await stack.client("chat", { userId: "m1", groups: ["room-5"] }), await stack.client("chat", { userId: "m2", groups: ["room-5"] })];
    expect(await members[0]!.invokeEvent("memberCount", "room-5", "text")).toMatchObject({ dataType: "json", data: { group: "room-5", count: 2, capped: false, cap: 10_000 } });
    expect(await members[1]!.invokeEvent("memberCount", { group: "room-none" }, "json")).toMatchObject({ data: { group: "room-none", count: 0 } });
    expect(await failure(members[0]!, "memberCount", "secret")).toEqual({ name: "Forbidden", message: 'Group "secret" is not in the allow-list (AllowedGroups).' });
  });

  it("an app-defined handler answers from the same registry, its AppError fails the call with its message", async () => {
    const c = await stack.client("chat", { userId: "zoe" });
    expect(await c.invokeEvent("SHOUT", "quiet please", "text")).toMatchObject({ dataType: "text", data: "QUIET PLEASE" });
    expect(await c.invokeEvent("whoAmI", "", "text")).toMatchObject({ data: { userId: "zoe", hub: "chat", service: "webpubsub" } });
    const refused = await c.invokeEvent("shout", { not: "text" }, "json").catch((error: { errorDetail?: unknown }) => error.errorDetail);
    expect(refused).toEqual({ name: "BadRequest", message: "shout takes text." });
  });

  it("an event with no handler fails at once with NotFound, for invoke and for sendEvent", async () => {
    const c = await stack.client("chat", { userId: "nia" }, { messageRetryOptions: { maxRetries: 0 } });
    const started = Date.now();
    expect(await failure(c, "launchMissiles", "now")).toEqual({ name: "NotFound", message: 'The function app has no handler for event "launchMissiles".' });
    expect(Date.now() - started).toBeLessThan(5000);
    await expect(c.sendEvent("launchMissiles", "now", "text", { ackId: 77 })).rejects.toMatchObject({ errorDetail: { name: "InternalServerError" } });
  });
});

describe("group presence through the events trigger", () => {
  it("tells a group's members who joined and who left, as the web page's presence notice", async () => {
    const watcher = await stack.client("chat", { userId: "watcher", groups: ["room-p"] });
    const notices: unknown[] = [];
    watcher.on("server-message", (e: OnServerDataMessageArgs) => notices.push(e.message.data));
    await until(() => (notices.length === 1 ? true : undefined));
    const visitor = await stack.client("chat", { userId: "visitor" });
    await stack.serverClient("chat").group("room-p").addUser("visitor");
    await until(() => (notices.length === 2 ? true : undefined));
    visitor.stop();
    await until(() => (notices.length === 3 ? true : undefined));
    expect(notices).toEqual([
      { presence: { group: "room-p", change: "joined", userId: "watcher" } },
      { presence: { group: "room-p", change: "joined", userId: "visitor" } },
      { presence: { group: "room-p", change: "left", userId: "visitor" } },
    ]);
  });
});
