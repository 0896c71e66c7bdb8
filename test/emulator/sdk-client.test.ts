import { WebPubSubClient, WebPubSubJsonProtocol, WebPubSubJsonReliableProtocol, SendMessageError } from "@azure/web-pubsub-client";
import type { OnGroupDataMessageArgs, OnServerDataMessageArgs, WebPubSubClientOptions } from "@azure/web-pubsub-client";
import { afterEach, describe, expect, it } from "vitest";
import type { ServiceServer } from "../../emulator/src/server";
import { EmulatorFixture } from "./support/emulator-fixture";
import { until } from "../support/until";

const fixture = new EmulatorFixture();
afterEach(() => fixture.cleanup());

type Received = { group: OnGroupDataMessageArgs[]; server: OnServerDataMessageArgs[] };

async function startClient(server: ServiceServer, options: { userId?: string; roles?: string[]; clientOptions?: WebPubSubClientOptions } = {}) {
  const url = await fixture.clientUrl(server, "hub1", { userId: options.userId ?? "u1", roles: options.roles ?? [] });
  const client = new WebPubSubClient(url, { messageRetryOptions: { maxRetries: 0 }, ...options.clientOptions });
  const received: Received = { group: [], server: [] };
  client.on("group-message", (e) => received.group.push(e));
  client.on("server-message", (e) => received.server.push(e));
  const connected = new Promise<string>((resolve) => client.on("connected", (e) => resolve(e.connectionId)));
  fixture.onCleanup(() => client.stop());
  await client.start();
  const connectionId = await connected;
  return { client, received, connectionId };
}

const protocols = [
  ["json.webpubsub.azure.v1", () => WebPubSubJsonProtocol()],
  ["json.reliable.webpubsub.azure.v1", () => WebPubSubJsonReliableProtocol()],
] as const;

describe.each(protocols)("WebPubSubClient over %s", (_name, protocol) => {
  it("joins, sends to a group with and without echo, leaves", async () => {
    const server = await fixture.start();
    const roles = ["webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"];
    const a = await startClient(server, { userId: "alice", roles, clientOptions: { protocol: protocol() } });
    const b = await startClient(server, { userId: "bob", roles, clientOptions: { protocol: protocol() } });
    await a.client.joinGroup("room");
    await b.client.joinGroup("room");

    const sent = await a.client.sendToGroup("room", { hello: 1 }, "json", { noEcho: true });
    expect(sent.isDuplicated).toBe(false);
    expect(typeof sent.ackId).toBe("number");
    await until(() => (b.received.group.length === 1 ? true : undefined));
    expect(b.received.group[0]!.message).toMatchObject({ kind: "groupData", group: "room", fromUserId: "alice", dataType: "json", data: { hello: 1 } });

    await a.client.sendToGroup("room", "echoed", "text");
    await until(() => (a.received.group.length === 1 && b.received.group.length === 2 ? true : undefined));
    expect(a.received.group[0]!.message.data).toBe("echoed");

    await b.client.leaveGroup("room");
    await a.client.sendToGroup("room", "after-leave", "text");
    await until(() => (a.received.group.length === 2 ? true : undefined));
    expect(b.received.group.map((e) => e.message.data)).toEqual([{ hello: 1 }, "echoed"]);
    expect(await server.service.groupConnections("hub1", "room")).toEqual([{ connectionId: a.connectionId, userId: "alice" }]);
  });

  it("acks events (unhandled upstream: counted and dropped) and answers a duplicate ackId with isDuplicated", async () => {
    const server = await fixture.start();
    const a = await startClient(server, { clientOptions: { protocol: protocol() } });
    const first = await a.client.sendEvent("ev", { x: 1 }, "json", { ackId: 77 });
    expect(first).toEqual({ ackId: 77, isDuplicated: false });
    const again = await a.client.sendEvent("ev", { x: 1 }, "json", { ackId: 77 });
    expect(again).toEqual({ ackId: 77, isDuplicated: true });
  });

  it("refuses a group the client has no role for with Forbidden", async () => {
    const server = await fixture.start();
    const a = await startClient(server, { roles: ["webpubsub.joinLeaveGroup.allowed", "webpubsub.sendToGroups.team.*"], clientOptions: { protocol: protocol() } });
    await a.client.joinGroup("allowed");
    const error = await a.client.joinGroup("secret").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SendMessageError);
    expect((error as SendMessageError).errorDetail?.name).toBe("Forbidden");
    await a.client.sendToGroup("team.red", "ok", "text");
    const sendError = await a.client.sendToGroup("team.red.x", "no", "text").catch((e: unknown) => e);
    expect((sendError as SendMessageError).errorDetail?.name).toBe("Forbidden");
  });

  it("receives server messages of each data type from the REST SDK", async () => {
    const server = await fixture.start();
    const a = await startClient(server, { userId: "u1", clientOptions: { protocol: protocol() } });
    const service = fixture.serviceClient(server);
    await service.sendToUser("u1", { n: 1 });
    await service.sendToUser("u1", "plain", { contentType: "text/plain" });
    await service.sendToConnection(a.connectionId, new Uint8Array([1, 2, 255]).buffer);
    await until(() => (a.received.server.length === 3 ? true : undefined));
    const messages = a.received.server.map((e) => e.message);
    expect(messages.map((m) => m.dataType)).toEqual(["json", "text", "binary"]);
    expect(messages[0]!.data).toEqual({ n: 1 });
    expect(messages[1]!.data).toBe("plain");
    expect(Buffer.from(messages[2]!.data as ArrayBuffer)).toEqual(Buffer.from([1, 2, 255]));
  });

  it("keeps the connection alive with ping/pong", async () => {
    const server = await fixture.start();
    let disconnects = 0;
    const a = await startClient(server, { clientOptions: { protocol: protocol(), keepAliveIntervalInMs: 50, keepAliveTimeoutInMs: 400 } });
    // No other traffic: without pongs the client would close after 400 ms of silence.
    const disconnected = new Promise<void>((resolve) => a.client.on("disconnected", () => resolve()));
    void disconnected.then(() => (disconnects += 1));
    await new Promise((r) => setTimeout(r, 900));
    expect(disconnects).toBe(0);
    expect(await server.service.connectionExists("hub1", a.connectionId)).toBe(true);
  });
});
