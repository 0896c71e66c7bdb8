import { afterEach, expect, it } from "vitest";
import type { UsageReport } from "../../emulator/src/metering/usage-report";
import { until } from "../support/until";
import { SignalRFixture } from "./support/signalr-fixture";

const fixture = new SignalRFixture();
afterEach(() => fixture.cleanup());

it("meters SignalR traffic in SignalR's rules, labelled with its face: per recipient in 2 KB units, pings and handshakes free", async () => {
  const server = await fixture.start({ signalr: { keepAliveIntervalMs: 50 } });
  const a = await fixture.connect(server, "chat", { keepAliveMs: 50 });
  const b = await fixture.connect(server, "chat", { protocol: "messagepack", keepAliveMs: 50 });
  // The arguments array is exactly 4,096 bytes of JSON: 2 units per recipient.
  const args = ["x".repeat(4096 - 4)];
  expect(JSON.stringify(args)).toHaveLength(4096);
  expect((await fixture.rest(server, "POST", "/api/hubs/chat/:send", { target: "message", arguments: args })).status).toBe(202);
  await until(() => (a.received.length === 1 && b.received.length === 1 ? true : undefined));
  // Let a few pings go by in both directions: none of them counts.
  await new Promise((resolve) => setTimeout(resolve, 300));

  const report = (await (await fetch(`${server.url}/api/usage`)).json()) as UsageReport;
  expect(report.faces.signalr.outbound).toMatchObject({ messages: 2, billedUnits: 4, toClients: 2, toUpstream: 0, signalrMessages: 4 });
  expect(report.faces.signalr.connections.current).toBe(2);
  expect(report.faces.webpubsub.outbound.messages).toBe(0);
  expect(report.sinceStart.hubs["signalr:chat"]!.inbound.fromRest).toBe(1);

  const metrics = (await (await fetch(`${server.url}/metrics`)).text()).split("\n");
  expect(metrics).toContain('webpubsub_connections{face="signalr",hub="chat"} 2');
  expect(metrics).toContain('webpubsub_outbound_messages_total{face="signalr",hub="chat",target="client"} 2');
  expect(metrics).toContain('webpubsub_outbound_billed_units_total{face="signalr",hub="chat",target="client"} 4');
  expect(metrics).toContain('webpubsub_inbound_messages_total{face="signalr",hub="chat",source="rest"} 1');
});

it("counts an error Completion to the caller as an outbound message", async () => {
  const server = await fixture.start();
  const a = await fixture.connect(server, "chat");
  await expect(a.connection.invoke("nobody")).rejects.toThrow("No upstream handles invocations of 'nobody' on hub 'chat'.");
  const report = (await (await fetch(`${server.url}/api/usage`)).json()) as UsageReport;
  expect(report.faces.signalr.outbound.toClients).toBe(1);
});

it("meters Server-Sent Events and Long Polling clients by the same rules: 2 KB units per recipient, pings free", async () => {
  const { HttpTransportType } = await import("@microsoft/signalr");
  const server = await fixture.start({ signalr: { keepAliveIntervalMs: 50 } });
  const sse = await fixture.connect(server, "chat", { transport: HttpTransportType.ServerSentEvents, keepAliveMs: 50 });
  const lp = await fixture.connect(server, "chat", { transport: HttpTransportType.LongPolling, protocol: "messagepack" });
  const args = ["x".repeat(4096 - 4)];
  expect((await fixture.rest(server, "POST", "/api/hubs/chat/:send", { target: "message", arguments: args })).status).toBe(202);
  await until(() => (sse.received.length === 1 && lp.received.length === 1 ? true : undefined));
  await new Promise((resolve) => setTimeout(resolve, 300)); // pings both ways, on both transports
  const report = (await (await fetch(`${server.url}/api/usage`)).json()) as UsageReport;
  expect(report.faces.signalr.outbound).toMatchObject({ messages: 2, billedUnits: 4, toClients: 2, toUpstream: 0 });
});
