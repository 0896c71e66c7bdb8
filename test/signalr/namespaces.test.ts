import { WebPubSubServiceClient } from "@azure/web-pubsub";
import { afterEach, expect, it } from "vitest";
import { WebSocket } from "ws";
import { InProcessBus } from "../../emulator/src/backplane/in-process-backplane";
import { createServer, type ServiceServer } from "../../emulator/src/server";
import { until } from "../support/until";
import { SignalRFixture } from "./support/signalr-fixture";

const fixture = new SignalRFixture();
const extra: ServiceServer[] = [];
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.terminate();
  await Promise.all(extra.splice(0).map((s) => s.close()));
  await fixture.cleanup();
});

it("a SignalR hub and a Web PubSub hub of the same name are separate, even on one cluster", async () => {
  const bus = new InProcessBus();
  const signalr = await fixture.start({ backplane: bus.createBackplane() });
  const webpubsub = await createServer({ port: 0, backplane: bus.createBackplane() });
  extra.push(webpubsub);

  const sr = await fixture.connect(signalr, "chat", { userId: "same" });
  const wpsClient = new WebPubSubServiceClient(webpubsub.connectionString, "chat", { allowInsecureConnection: true });
  const { url } = await wpsClient.getClientAccessToken({ userId: "same" });
  const ws = new WebSocket(url, "json.webpubsub.azure.v1");
  sockets.push(ws);
  const wpsFrames: string[] = [];
  ws.on("message", (data) => wpsFrames.push(data.toString()));
  await until(() => (wpsFrames.length === 1 ? true : undefined)); // its `connected` system message

  // Web PubSub REST to hub "chat": only the Web PubSub client.
  await wpsClient.sendToAll({ from: "webpubsub" });
  await wpsClient.sendToUser("same", { to: "user" });
  // SignalR REST to hub "chat": only the SignalR client.
  expect((await fixture.rest(signalr, "POST", "/api/hubs/chat/:send", { target: "message", arguments: ["from signalr"] })).status).toBe(202);
  expect((await fixture.rest(signalr, "POST", "/api/hubs/chat/users/same/:send", { target: "message", arguments: ["to user"] })).status).toBe(202);

  await until(() => (wpsFrames.length === 3 && sr.received.length === 2 ? true : undefined));
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(wpsFrames.slice(1).map((f) => (JSON.parse(f) as { data: unknown }).data)).toEqual([{ from: "webpubsub" }, { to: "user" }]);
  expect(sr.received.map((r) => r.args[0])).toEqual(["from signalr", "to user"]);
  expect(await signalr.service.userExists("chat", "same")).toBe(true); // the Web PubSub user, seen cluster-wide
  expect(await signalr.service.connectionExists("signalr:chat", sr.connectionId)).toBe(true);
  expect(await webpubsub.service.connectionExists("chat", sr.connectionId)).toBe(false);
});
