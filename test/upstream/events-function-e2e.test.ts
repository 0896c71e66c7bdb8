import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OnServerDataMessageArgs } from "@azure/web-pubsub-client";
import { createEventsHandler } from "../../functions/events";
import { signConnectionId } from "../../common/cloud-events-signature";
import { parseConfig } from "../../shared/config";
import { parseEventsConfig } from "../../shared/events-config";
import { createRealtimeService } from "../../shared/realtime-service-factory";
import { parseUpstreamSettings } from "../../emulator/src/upstream/upstream-settings";
import type { FunctionsHost } from "../../host/functions-host";
import { collect, KEY, startLazyFunctionsHost, startServiceWithUpstream, type ServiceWithUpstream } from "./support/upstream-stack";

// client → service → events function (E's local host, real HTTP) → service REST → other clients.
let fn: FunctionsHost;
let stack: ServiceWithUpstream;
let eventsUrl: string;

beforeAll(async () => {
  const lazy = await startLazyFunctionsHost("events/{hub?}");
  fn = lazy.host;
  eventsUrl = `${fn.url}/api/events/chat`;
  stack = await startServiceWithUpstream(
    parseUpstreamSettings({
      WebPubSub: { Hubs: { chat: { EventHandlers: [{ UrlTemplate: `${fn.url}/api/events/{hub}`, SystemEvents: ["connect", "connected", "disconnected"], EventPattern: "*" }] } } },
    }),
  );
  const config = parseConfig({
    WebPubSubConnectionString: stack.service.connectionString,
    WebPubSubHub: "chat",
    AllowedGroups: "room-*",
    DefaultGroups: "lobby",
    WebPubSubMaxRetries: "0",
  });
  lazy.setHandler(createEventsHandler({ config, service: createRealtimeService(config) }, parseEventsConfig({}, config)));
});

afterAll(async () => {
  await stack?.close();
  await fn?.close();
});

describe("events function behind the local service", () => {
  it("connect: the policy's default group is joined and the token's userId kept", async () => {
    const alice = await stack.client("chat", { userId: "alice", groups: ["room-1"] });
    const service = stack.serverClient("chat");
    const members: Array<string | undefined> = [];
    for await (const member of await service.group("lobby").listConnections()) members.push(member.userId);
    expect(members).toEqual(["alice"]);
    expect(await service.groupExists("room-1")).toBe(true);
    alice.stop();
  });

  it("connect refused by the group policy reaches the client as HTTP 403", async () => {
    await expect(stack.client("chat", { userId: "mallory", groups: ["secret"] })).rejects.toThrow("Unexpected server response: 403");
  });

  it("connect without a userId reaches the client as HTTP 401", async () => {
    await expect(stack.client("chat", {})).rejects.toThrow("Unexpected server response: 401");
  });

  it("a message event goes through the function to every member of the named group, and only them", async () => {
    const bob = await stack.client("chat", { userId: "bob", groups: ["room-7"] });
    const carol = await stack.client("chat", { userId: "carol", groups: ["room-7"] });
    const dave = await stack.client("chat", { userId: "dave" });
    const got = { bob: [] as unknown[], carol: [] as unknown[], dave: [] as unknown[] };
    const record = (name: keyof typeof got) => (push: () => void) => (e: OnServerDataMessageArgs) => (got[name].push(e.message.data), push());
    const roomMessage = collect<void>((push) => {
      bob.on("server-message", record("bob")(push));
      carol.on("server-message", record("carol")(push));
    }, 2);
    const ack = await bob.sendEvent("message", { group: "room-7", text: "hello room" }, "json");
    expect(ack.isDuplicated).toBe(false);
    await roomMessage;
    // A broadcast to everyone then fences dave's inbox: anything the first send gave him came before it.
    const broadcast = collect<void>((push) => dave.on("server-message", record("dave")(push)), 1);
    await bob.sendEvent("message", "to everyone", "text");
    await broadcast;
    const room = { from: "bob", text: "hello room", group: "room-7" };
    expect(got.dave).toEqual([{ from: "bob", text: "to everyone" }]);
    expect(got.bob[0]).toEqual(room);
    expect(got.carol[0]).toEqual(room);
  });

  it("a message to a group outside the allow-list fails the event (InternalServerError ack)", async () => {
    const erin = await stack.client("chat", { userId: "erin" }, { autoReconnect: false, messageRetryOptions: { maxRetries: 0 } });
    await expect(erin.sendEvent("message", { group: "secret", text: "x" }, "json", { ackId: 900 })).rejects.toMatchObject({
      errorDetail: { name: "InternalServerError" },
    });
  });

  it("a user id outside Latin-1 goes through connect and the relay intact", async () => {
    const user = await stack.client("chat", { userId: "用户", groups: ["room-9"] });
    const received = collect<unknown>((push) => user.on("server-message", (e) => push(e.message.data)), 1);
    await user.sendEvent("message", { group: "room-9", text: "你好" }, "json");
    expect(await received).toEqual([{ from: "用户", text: "你好", group: "room-9" }]);
    user.stop();
  });

  it("echo returns the payload to the sender before the ack", async () => {
    const frank = await stack.client("chat", { userId: "frank" });
    const reply = collect<OnServerDataMessageArgs>((push) => frank.on("server-message", push), 1);
    await frank.sendEvent("echo", "ping-1", "text");
    const [message] = await reply;
    expect(message!.message).toMatchObject({ kind: "serverData", dataType: "text", data: "ping-1" });
  });
});

describe("events function, called directly over HTTP", () => {
  const signedHeaders = (connectionId: string, extra: Record<string, string> = {}) => ({
    "ce-awpsversion": "1.0",
    "ce-specversion": "1.0",
    "ce-type": "azure.webpubsub.user.echo",
    "ce-hub": "chat",
    "ce-connectionId": connectionId,
    "ce-eventName": "echo",
    "ce-userId": "u1",
    "ce-signature": signConnectionId([KEY], connectionId),
    "WebHook-Request-Origin": stack.origin,
    "Content-Type": "application/octet-stream",
    ...extra,
  });

  it("answers the abuse-protection OPTIONS with the service's host", async () => {
    const res = await fetch(eventsUrl, { method: "OPTIONS", headers: { "WebHook-Request-Origin": stack.origin, "ce-awpsversion": "1.0" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("webhook-allowed-origin")).toBe(stack.origin);
    const bad = await fetch(eventsUrl, { method: "OPTIONS", headers: { "ce-awpsversion": "1.0" } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: "InvalidCloudEvent" });
  });

  it("refuses a bad signature with 403 and accepts the right one", async () => {
    const wrong = await fetch(eventsUrl, { method: "POST", headers: signedHeaders("c1", { "ce-signature": signConnectionId(["another-key"], "c1") }), body: "x" });
    expect(wrong.status).toBe(403);
    expect(await wrong.json()).toEqual({ code: "InvalidSignature", message: "The ce-signature header does not match the configured access key." });
    const missing = await fetch(eventsUrl, { method: "POST", headers: { ...signedHeaders("c1"), "ce-signature": "" }, body: "x" });
    expect(missing.status).toBe(403);
    const other = await fetch(eventsUrl, { method: "POST", headers: signedHeaders("c1", { "ce-signature": signConnectionId([KEY], "c2") }), body: "x" });
    expect(other.status).toBe(403);
    const right = await fetch(eventsUrl, { method: "POST", headers: signedHeaders("c1"), body: "x" });
    expect(right.status).toBe(200);
    expect(Buffer.from(await right.arrayBuffer()).toString()).toBe("x");
  });

  it("refuses a replayed signed event whose ce-hub is not the URL's hub, or no hub name at all, with 400", async () => {
    const otherHub = await fetch(eventsUrl, { method: "POST", headers: signedHeaders("c1", { "ce-hub": "elsewhere" }), body: "x" });
    expect(otherHub.status).toBe(400);
    expect(await otherHub.json()).toEqual({ code: "InvalidCloudEvent", message: "The ce-hub header does not name the hub in the URL." });
    const noRouteHub = `${fn.url}/api/events`;
    const bad = await fetch(noRouteHub, { method: "POST", headers: signedHeaders("c1", { "ce-hub": "no/such hub" }), body: "x" });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ code: "InvalidCloudEvent", message: "The ce-hub header is not a valid hub name." });
    const sameHubOtherCase = await fetch(eventsUrl, { method: "POST", headers: signedHeaders("c1", { "ce-hub": "CHAT" }), body: "x" });
    expect(sameHubOtherCase.status).toBe(200);
  });

  it("takes a body of exactly 1 MiB and refuses 1 MiB + 1 with 413", async () => {
    const exact = await fetch(eventsUrl, { method: "POST", headers: signedHeaders("c1"), body: new Uint8Array(1024 * 1024).fill(7) });
    expect(exact.status).toBe(200);
    expect((await exact.arrayBuffer()).byteLength).toBe(1024 * 1024);
    const over = await fetch(eventsUrl, { method: "POST", headers: signedHeaders("c1"), body: new Uint8Array(1024 * 1024 + 1) });
    expect(over.status).toBe(413);
    expect(await over.json()).toMatchObject({ code: "PayloadTooLarge" });
  });
});
