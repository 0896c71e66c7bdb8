import http from "node:http";
import type { AddressInfo } from "node:net";
import { WebPubSubServiceClient } from "@azure/web-pubsub";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { decodeHeaderText, encodeHeaderText } from "../../common/header-text";
import { until } from "../support/until";
import { startServiceProcess, type ServiceProcess } from "./support/service-process";

// A user id outside Latin-1 used to crash the service: Node refused the ce-userId header, and the
// fire-and-forget `connected` event turned that into an unhandled rejection.
const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()!();
});

interface SeenEvent {
  method: string;
  type: string | undefined;
  userId: string | undefined;
  eventName: string | undefined;
}

async function recordingHandler(seen: SeenEvent[]): Promise<string> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      if (req.method === "OPTIONS") return void res.writeHead(200, { "WebHook-Allowed-Origin": "*" }).end();
      const header = (name: string): string | undefined => {
        const value = req.headers[name];
        return typeof value === "string" ? decodeHeaderText(value) : undefined;
      };
      seen.push({ method: req.method!, type: header("ce-type"), userId: header("ce-userid"), eventName: header("ce-eventname") });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanup.push(() => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function open(url: string, protocol?: string): Promise<{ socket: WebSocket; frames: string[] }> {
  const socket = protocol ? new WebSocket(url, protocol) : new WebSocket(url);
  const frames: string[] = [];
  socket.on("message", (data) => frames.push(data.toString()));
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
  });
  return { socket, frames };
}

// eslint-disable-next-line no-control-regex
const notInHeaders = /[\u0000-\u0008\u000a-\u001f\u007f]/g;

describe("user ids and event names outside Latin-1", () => {
  it("header text round-trips any Unicode and never yields a character Node refuses", () => {
    for (const text of ["用户", "Zoë", "a\u0000b\nc", "😀 emoji", "plain", "tab\there"]) {
      const encoded = encodeHeaderText(text);
      expect([...encoded].every((c) => c.charCodeAt(0) <= 0xff && !new RegExp(notInHeaders.source).test(c))).toBe(true);
      expect(decodeHeaderText(encoded)).toBe(text.replace(notInHeaders, "\uFFFD"));
    }
  });

  it("connect, connected, user event, REST send to the user and disconnected all work; the service stays up", async () => {
    const seen: SeenEvent[] = [];
    const handler = await recordingHandler(seen);
    const service: ServiceProcess = await startServiceProcess(["--event-handler", `chat=${handler}/{hub}/{event}`]);
    cleanup.push(() => service.stop());
    const client = new WebPubSubServiceClient(service.connectionString, "chat", { allowInsecureConnection: true });

    const { url } = await client.getClientAccessToken({ userId: "用户" });
    const user = await open(url, "json.webpubsub.azure.v1");
    const bystander = await open((await client.getClientAccessToken({ userId: "bystander" })).url);
    await until(() => (user.frames.length >= 1 ? true : undefined), 10_000);
    expect(JSON.parse(user.frames[0]!)).toMatchObject({ type: "system", event: "connected", userId: "用户" });

    user.socket.send(JSON.stringify({ type: "event", event: "事件", dataType: "text", data: "hi", ackId: 1 }));
    await until(() => (user.frames.some((f) => f.includes('"ack"')) ? true : undefined), 10_000);
    expect(JSON.parse(user.frames.find((f) => f.includes('"ack"'))!)).toEqual({ type: "ack", ackId: 1, success: true });

    await client.sendToUser("用户", "to you", { contentType: "text/plain" });
    await until(() => (user.frames.some((f) => f.includes("to you")) ? true : undefined), 10_000);
    expect(await client.userExists("用户")).toBe(true);

    user.socket.close(1000);
    await until(() => (seen.some((e) => e.type === "azure.webpubsub.sys.disconnected") ? true : undefined), 10_000);
    expect(seen.filter((e) => e.userId === "用户").map((e) => [e.type, e.eventName])).toEqual([
      ["azure.webpubsub.sys.connect", "connect"],
      ["azure.webpubsub.sys.connected", "connected"],
      ["azure.webpubsub.user.事件", "事件"],
      ["azure.webpubsub.sys.disconnected", "disconnected"],
    ]);
    const usage = (await (await fetch(`${service.url}/api/usage`)).json()) as { sinceStart: { total: { connections: { opened: number } } } };
    expect(usage.sinceStart.total.connections.opened).toBe(2);
    expect(service.alive()).toBe(true);
    expect(bystander.socket.readyState).toBe(WebSocket.OPEN);
    bystander.socket.close();
  }, 60_000);
});
