import http from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { OnServerDataMessageArgs } from "@azure/web-pubsub-client";
import { WebPubSubEventHandler, type ConnectRequest, type DisconnectedRequest, type UserEventRequest } from "@azure/web-pubsub-express";
import { signConnectionId } from "../../common/cloud-events-signature";
import { parseUpstreamSettings } from "../../emulator/src/upstream/upstream-settings";
import { collect, KEY, startServiceWithUpstream, type ServiceWithUpstream } from "./support/upstream-stack";

// Microsoft's own CloudEvents handler must accept what our service sends, and its replies must work.
const ONE_MIB = 1024 * 1024;
let app: http.Server;
let appUrl: string;
let stack: ServiceWithUpstream;
let middleware: express.RequestHandler = (_req, _res, next) => next();

const seen = {
  connects: [] as ConnectRequest[],
  connected: [] as string[],
  disconnected: [] as DisconnectedRequest[],
  userEvents: [] as UserEventRequest[],
  /** `context.states` as each user event arrived (the SDK mutates the object on setState). */
  userEventStates: [] as Array<Record<string, unknown>>,
  refusedHubPosts: 0,
  flakyAttempts: 0,
};
const waiters = new Set<() => void>();
const notify = (): void => waiters.forEach((w) => w());
/** Resolves once `predicate` holds (re-checked on every handler call). */
function until(predicate: () => boolean, ms = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (!predicate()) return;
      waiters.delete(check);
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => (waiters.delete(check), reject(new Error("condition not met in time"))), ms);
    waiters.add(check);
    check();
  });
}

beforeAll(async () => {
  const server = express();
  server.use((req, res, next) => {
    if (req.method === "POST" && req.path.startsWith("/refused/")) seen.refusedHubPosts++;
    if (req.method === "POST" && req.headers["ce-eventname"] === "flaky" && ++seen.flakyAttempts <= 2) {
      res.status(503).end("try again");
      return;
    }
    next();
  });
  server.use((req, res, next) => middleware(req, res, next));
  app = server.listen(0);
  await new Promise((resolve) => app.once("listening", resolve));
  appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;

  stack = await startServiceWithUpstream(
    parseUpstreamSettings({
      WebPubSub: {
        Hubs: {
          compat: { EventHandlers: [{ UrlTemplate: `${appUrl}/compat/{event}`, SystemEvents: ["connect", "connected", "disconnected"], EventPattern: "*" }] },
          refused: { EventHandlers: [{ UrlTemplate: `${appUrl}/refused/{event}`, SystemEvents: ["connect"], EventPattern: "*" }] },
        },
      },
    }),
  );

  const compat = new WebPubSubEventHandler("compat", {
    path: "/compat",
    allowedEndpoints: [stack.service.url],
    handleConnect: (req, res) => {
      seen.connects.push(req);
      notify();
      if (req.queries?.deny) return res.fail(401, "denied by handler");
      res.setState("counter", 0);
      res.success({ userId: "from-handler", groups: ["compat-g"] });
    },
    onConnected: (req) => (seen.connected.push(req.context.connectionId), notify()),
    onDisconnected: (req) => (seen.disconnected.push(req), notify()),
    handleUserEvent: (req, res) => {
      seen.userEvents.push(req);
      seen.userEventStates.push(structuredClone(req.context.states));
      notify();
      switch (req.context.eventName) {
        case "count": {
          const counter = (req.context.states.counter as number) + 1;
          res.setState("counter", counter);
          return res.success(`count=${counter}`, "text");
        }
        case "reply-bytes":
          // Node's res.end takes a Buffer; the SDK's type says ArrayBuffer.
          return res.success(Buffer.alloc(Number(req.data), 1) as unknown as ArrayBuffer);
        case "flaky":
          return res.success(JSON.stringify({ attempts: seen.flakyAttempts }), "json");
        default:
          return res.success();
      }
    },
  });
  const refused = new WebPubSubEventHandler("refused", { path: "/refused", allowedEndpoints: ["http://other.example:8080"] });
  const compatMiddleware = compat.getMiddleware();
  const refusedMiddleware = refused.getMiddleware();
  middleware = (req, res, next) => compatMiddleware(req, res, () => refusedMiddleware(req, res, next));
});

afterAll(async () => {
  await stack?.close();
  await new Promise((resolve) => app?.close(resolve));
});

describe("WebPubSubEventHandler (@azure/web-pubsub-express) as our event handler", () => {
  it("connect: receives claims, signature and origin; its userId and groups apply; connected follows", async () => {
    const client = await stack.client("compat", { userId: "token-user", roles: ["webpubsub.joinLeaveGroup"] });
    const connectionId = await new Promise<string>((resolve) => {
      const id = (client as unknown as { _connectionId?: string })._connectionId;
      if (id) resolve(id);
      else client.on("connected", (e) => resolve(e.connectionId));
    });
    await until(() => seen.connected.includes(connectionId));
    const connect = seen.connects.find((c) => c.context.connectionId === connectionId)!;
    expect(connect.context).toMatchObject({ hub: "compat", userId: "token-user", origin: stack.origin, signature: signConnectionId([KEY], connectionId), states: {} });
    expect(connect.claims?.role).toEqual(["webpubsub.joinLeaveGroup"]);
    expect(connect.subprotocols).toEqual(["json.reliable.webpubsub.azure.v1"]);
    const service = stack.serverClient("compat");
    expect(await service.userExists("from-handler")).toBe(true);
    expect(await service.userExists("token-user")).toBe(false);
    const members: Array<string | undefined> = [];
    for await (const member of await service.group("compat-g").listConnections()) members.push(member.userId);
    expect(members).toEqual(["from-handler"]);
    client.stop();
    await until(() => seen.disconnected.some((d) => d.context.connectionId === connectionId));
    const disconnected = seen.disconnected.find((d) => d.context.connectionId === connectionId)!;
    expect(disconnected.context.userId).toBe("from-handler");
    expect(typeof disconnected.reason).toBe("string");
  });

  it("a fail(401) from handleConnect reaches the client as HTTP 401", async () => {
    const { url } = await stack.serverClient("compat").getClientAccessToken({ userId: "u" });
    const ws = new WebSocket(`${url}&deny=1`);
    const status = await new Promise<number>((resolve) => ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0)));
    expect(status).toBe(401);
  });

  it("user event replies reach the sender before the ack, and setState round-trips", async () => {
    const client = await stack.client("compat", { userId: "counter" });
    const replies = collect<OnServerDataMessageArgs>((push) => client.on("server-message", push), 2);
    await client.sendEvent("count", { n: 1 }, "json");
    await client.sendEvent("count", "two", "text");
    const messages = (await replies).map((r) => r.message);
    expect(messages.map((m) => [m.dataType, m.data])).toEqual([
      ["text", "count=1"],
      ["text", "count=2"],
    ]);
    const counts = seen.userEvents.flatMap((e, i) => (e.context.eventName === "count" ? [[e.dataType, e.data, seen.userEventStates[i]]] : []));
    expect(counts).toEqual([
      ["json", { n: 1 }, { counter: 0 }],
      ["text", "two", { counter: 1 }],
    ]);
  });

  it("a raw client's 1 MiB frame reaches the handler whole; 1 MiB + 1 is refused (1009) before any event", async () => {
    const { url } = await stack.serverClient("compat").getClientAccessToken({ userId: "raw" });
    const ws = new WebSocket(url);
    await new Promise((resolve) => ws.once("open", resolve));
    const before = seen.userEvents.length;
    ws.send("a".repeat(ONE_MIB));
    await until(() => seen.userEvents.length === before + 1);
    const event = seen.userEvents[before]!;
    expect([event.context.eventName, event.dataType, (event.data as string).length]).toEqual(["message", "text", ONE_MIB]);
    const closed = new Promise<number>((resolve) => ws.once("close", resolve));
    ws.send("a".repeat(ONE_MIB + 1));
    expect(await closed).toBe(1009);
    expect(seen.userEvents.length).toBe(before + 1);
  });

  it("forwards a response of exactly 1 MiB; one byte more fails the event", async () => {
    const client = await stack.client("compat", { userId: "big" }, { autoReconnect: false, messageRetryOptions: { maxRetries: 0 } });
    const reply = collect<OnServerDataMessageArgs>((push) => client.on("server-message", push), 1, 10_000);
    await client.sendEvent("reply-bytes", String(ONE_MIB), "text");
    const [message] = await reply;
    expect(message!.message.dataType).toBe("binary");
    expect((message!.message.data as ArrayBuffer).byteLength).toBe(ONE_MIB);
    await expect(client.sendEvent("reply-bytes", String(ONE_MIB + 1), "text", { ackId: 777 })).rejects.toMatchObject({
      errorDetail: { name: "InternalServerError" },
    });
  });

  it("retries 5xx answers with backoff and delivers on the third attempt", async () => {
    const client = await stack.client("compat", { userId: "flaky" });
    const reply = collect<OnServerDataMessageArgs>((push) => client.on("server-message", push), 1);
    await client.sendEvent("flaky", "x", "text");
    expect((await reply)[0]!.message).toMatchObject({ dataType: "json", data: { attempts: 3 } });
    expect(seen.flakyAttempts).toBe(3);
    expect(stack.logs.filter((l) => l.includes("flaky"))).toEqual([]);
  });

  it("the handshake refuses a handler that does not allow the service's origin", async () => {
    await expect(stack.client("refused", { userId: "x" })).rejects.toThrow("Unexpected server response: 500");
    expect(seen.refusedHubPosts).toBe(0);
    expect(stack.logs.filter((l) => l.includes("refused by abuse protection"))).toEqual([
      `upstream: event handler ${appUrl}/refused/validate refused by abuse protection: WebHook-Allowed-Origin (other.example:8080) does not include ${stack.origin}`,
    ]);
  });
});
