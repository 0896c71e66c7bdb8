/**
 * Azure's three worked billing examples through the command line (`npm run emulator -- ...`), as
 * users run it and as the planner's measured mode reads it: a child process, the official SDKs
 * as app server and clients, a real `@azure/web-pubsub-express` handler behind
 * `--event-handler`, and the counts read back from `GET /api/usage`.
 */
import { WebPubSubServiceClient } from "@azure/web-pubsub";
import { WebPubSubClient } from "@azure/web-pubsub-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { UsageReport } from "../../emulator/src/metering/usage-report";
import { startRelayAppServer } from "../support/relay-app-server";
import { startServiceCli, type RunningServiceCli } from "../support/service-cli";

const KB = 1024;
const cleanups: Array<() => Promise<unknown> | unknown> = [];
let cli: RunningServiceCli;

beforeAll(async () => {
  const relay = await startRelayAppServer("relay");
  cleanups.push(() => relay.close());
  cli = await startServiceCli(["--port", "0", "--quiet", "--event-handler", `relay=${relay.url}`]);
  cleanups.push(() => cli.stop());
  relay.useService(serviceClient("relay"));
}, 30_000);

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function serviceClient(hub: string): WebPubSubServiceClient {
  return new WebPubSubServiceClient(cli.connectionString, hub, { allowInsecureConnection: true });
}

async function connectClient(service: WebPubSubServiceClient, roles: string[] = []): Promise<WebPubSubClient> {
  const client = new WebPubSubClient({ getClientAccessUrl: async () => (await service.getClientAccessToken({ roles })).url }, { autoReconnect: false });
  cleanups.push(() => client.stop());
  await client.start();
  return client;
}

function nextServerMessage(client: WebPubSubClient): Promise<string> {
  return new Promise((resolve) => client.on("server-message", (e) => resolve(String(e.message.data))));
}

/** Polls `/api/usage` until the hub's outbound counters reach `messages` (deliveries are counted as they go out). */
async function hubOutbound(hub: string, messages: number): Promise<UsageReport["sinceStart"]["total"]["outbound"]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const report = (await (await fetch(`${cli.url}/api/usage`)).json()) as UsageReport;
    const outbound = report.sinceStart.hubs[hub]?.outbound;
    if (outbound && outbound.messages >= messages) return outbound;
    if (Date.now() > deadline) throw new Error(`hub ${hub} usage did not reach ${messages} messages: ${JSON.stringify(outbound)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("Azure's worked examples through npm run emulator", () => {
  it("an app server broadcasts 1 KB to 3 clients: 3 billed", async () => {
    const service = serviceClient("broadcast");
    const clients = await Promise.all([0, 1, 2].map(() => connectClient(service)));
    const received = clients.map(nextServerMessage);
    await service.sendToAll("x".repeat(KB), { contentType: "text/plain" });
    expect(await Promise.all(received)).toEqual(Array(3).fill("x".repeat(KB)));
    expect(await hubOutbound("broadcast", 3)).toEqual({
      messages: 3, bytes: 3 * KB, billedUnits: 3, toClients: 3, toUpstream: 0, signalrMessages: 3, trafficUnits: 2,
    });
  });

  it("client A sends 1 KB to client B without the app server: 1 billed", async () => {
    const service = serviceClient("direct");
    const roles = ["webpubsub.joinLeaveGroup.room", "webpubsub.sendToGroup.room"];
    const [a, b] = await Promise.all([connectClient(service, roles), connectClient(service, roles)]);
    await Promise.all([a!.joinGroup("room"), b!.joinGroup("room")]);
    const received = new Promise<string>((resolve) => b!.on("group-message", (e) => resolve(String(e.message.data))));
    await a!.sendToGroup("room", "y".repeat(KB), "text", { noEcho: true });
    expect(await received).toBe("y".repeat(KB));
    expect(await hubOutbound("direct", 1)).toEqual({
      messages: 1, bytes: KB, billedUnits: 1, toClients: 1, toUpstream: 0, signalrMessages: 1, trafficUnits: 1,
    });
  });

  it("a client's 4 KB event, relayed by --event-handler's app server to 3 clients: 8 billed, 1 to upstream", async () => {
    const service = serviceClient("relay");
    const clients = await Promise.all([0, 1, 2].map(() => connectClient(service)));
    const received = clients.map(nextServerMessage);
    await clients[0]!.sendEvent("broadcast", "z".repeat(4 * KB), "text");
    expect(await Promise.all(received)).toEqual(Array(3).fill("z".repeat(4 * KB)));
    expect(await hubOutbound("relay", 4)).toEqual({
      messages: 4, bytes: 16 * KB, billedUnits: 8, toClients: 3, toUpstream: 1, signalrMessages: 8, trafficUnits: 8,
    });
  });
});
