/**
 * `invokeEvent` of `@azure/web-pubsub-client` 1.1.0 against the local service, answered by
 * `@azure/web-pubsub-express` 1.1.0 behind express: an invoke reaches the handler as an ordinary
 * blocking user event and its answer becomes exactly one `invokeResponse`.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { WebPubSubClient, WebPubSubJsonProtocol, WebPubSubJsonReliableProtocol, type WebPubSubClientProtocol } from "@azure/web-pubsub-client";
import { WebPubSubEventHandler } from "@azure/web-pubsub-express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { parseUpstreamSettings } from "../../emulator/src/upstream/upstream-settings";
import { startServiceWithUpstream, type ServiceWithUpstream } from "./support/upstream-stack";

let app: http.Server;
let stack: ServiceWithUpstream;
const seen: Array<{ event: string; contentType: string | undefined; body: string }> = [];
const aborted: string[] = [];
let slowAttempts = 0;

beforeAll(async () => {
  const handler = new WebPubSubEventHandler("inv", {
    path: "/eventhandler",
    handleUserEvent: (request, response) => {
      const event = request.context.eventName;
      switch (event) {
        case "echo":
          // Back with the payload's own type.
          if (request.dataType === "binary") response.success(request.data as ArrayBuffer, "binary");
          else if (request.dataType === "json") response.success(JSON.stringify(request.data), "json");
          else response.success(request.data as string, "text");
          return;
        case "nothing":
          response.success();
          return;
        case "refuse":
          response.fail(400, "invalid order");
          return;
        default:
          response.fail(500, "unexpected");
      }
    },
  });
  const server = express();
  server.use((req, res, next) => {
    const event = String(req.headers["ce-eventname"] ?? "");
    if (req.method === "POST") seen.push({ event, contentType: req.headers["content-type"], body: "" });
    if (req.method === "POST" && event === "deny") {
      // The official handler's fail() takes 400, 401 or 500 only; a 403 comes from the app itself.
      res.status(403).type("text/plain").end("not yours");
      return;
    }
    if (req.method === "POST" && event === "slow") {
      slowAttempts += 1;
      // Never answers in time; records when the service cuts the request.
      req.on("close", () => aborted.push(String(req.headers["ce-connectionid"])));
      return;
    }
    next();
  });
  server.use(handler.getMiddleware());
  app = server.listen(0, "127.0.0.1");
  await new Promise((resolve) => app.once("listening", resolve));
  const url = `http://127.0.0.1:${(app.address() as AddressInfo).port}/eventhandler`;
  stack = await startServiceWithUpstream(
    parseUpstreamSettings({ WebPubSub: { Hubs: { inv: { EventHandlers: [{ UrlTemplate: url, EventPattern: "echo,nothing,refuse,deny,slow,boom", SystemEvents: [] }] } } } }),
    {},
    { invokeTimeoutMs: 800, maxInvocationsPerConnection: 3 },
  );
});

afterAll(async () => {
  await stack?.close();
  app?.close();
});

async function client(protocol: WebPubSubClientProtocol = WebPubSubJsonReliableProtocol()): Promise<WebPubSubClient> {
  const c = new WebPubSubClient({ getClientAccessUrl: async () => (await stack.serverClient("inv").getClientAccessToken({ userId: "caller" })).url }, { protocol, autoReconnect: false });
  await c.start();
  return c;
}

/** A raw socket on a JSON subprotocol, open, collecting the frames it receives. */
async function rawSocket(userId: string, subprotocol: string): Promise<{ socket: WebSocket; frames: Array<Record<string, unknown>> }> {
  const { url } = await stack.serverClient("inv").getClientAccessToken({ userId });
  const socket = new WebSocket(url, subprotocol);
  const frames: Array<Record<string, unknown>> = [];
  socket.on("message", (data) => frames.push(JSON.parse(data.toString()) as Record<string, unknown>));
  await new Promise((resolve) => socket.once("open", resolve));
  return { socket, frames };
}

describe("invokeEvent through the official client and handler", () => {
  it.each([
    ["reliable", WebPubSubJsonReliableProtocol()],
    ["json", WebPubSubJsonProtocol()],
  ])("answers echo with the payload and its type (%s)", async (_name, protocol) => {
    const c = await client(protocol);
    try {
      expect(await c.invokeEvent("echo", "hi", "text")).toMatchObject({ dataType: "text", data: "hi" });
      expect(await c.invokeEvent("echo", { orderId: 1 }, "json")).toMatchObject({ dataType: "json", data: { orderId: 1 } });
      const binary = await c.invokeEvent("echo", new Uint8Array([1, 2, 3]).buffer, "binary");
      expect(binary.dataType).toBe("binary");
      expect([...new Uint8Array(binary.data as ArrayBuffer)]).toEqual([1, 2, 3]);
      // An empty 2xx is a success without data.
      const empty = await c.invokeEvent("nothing", "x", "text");
      expect([empty.dataType, empty.data]).toEqual([undefined, undefined]);
    } finally {
      c.stop();
    }
  });

  it("maps handler errors, no handler and a timeout to a failed invocation with a name", async () => {
    const c = await client();
    try {
      const failure = async (event: string): Promise<{ name?: string; message: string }> => {
        try {
          await c.invokeEvent(event, "x", "text");
          return { message: "resolved" };
        } catch (error) {
          const detail = (error as { errorDetail?: { name: string; message: string } }).errorDetail;
          return { name: detail?.name, message: (error as Error).message };
        }
      };
      expect(await failure("refuse")).toEqual({ name: "BadRequest", message: "invalid order" });
      expect(await failure("deny")).toEqual({ name: "Forbidden", message: "not yours" });
      expect(await failure("boom")).toEqual({ name: "InternalServerError", message: "unexpected" });
      expect(await failure("unrouted")).toEqual({ name: "NotFound", message: "No event handler is configured for event 'unrouted'." });
      const before = slowAttempts;
      expect(await failure("slow")).toEqual({ name: "Timeout", message: "The event handler did not respond within 800 ms." });
      expect(slowAttempts - before).toBe(1); // never retried
    } finally {
      c.stop();
    }
  });

  it("sends an invoke as a user event with ce-eventName and a Content-Type, even without content", async () => {
    const c = await client();
    try {
      seen.length = 0;
      await c.invokeEvent("nothing", null as unknown as string, "text");
      await c.invokeEvent("nothing", { a: 1 }, "json");
      expect(seen.map((s) => [s.event, s.contentType])).toEqual([
        ["nothing", "application/octet-stream"],
        ["nothing", "application/json"],
      ]);
    } finally {
      c.stop();
    }
  });

  it("cancelInvocation aborts the upstream request, an unknown id is accepted silently, and nothing is sent after the cancel", async () => {
    const { socket, frames } = await rawSocket("raw", "json.reliable.webpubsub.azure.v1");
    while (frames.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    const connectionId = frames[0]!.connectionId as string;
    socket.send(JSON.stringify({ type: "invoke", invocationId: "7", target: "event", event: "slow", dataType: "text", data: "x" }));
    await new Promise((resolve) => setTimeout(resolve, 150));
    socket.send(JSON.stringify({ type: "cancelInvocation", invocationId: "7" }));
    socket.send(JSON.stringify({ type: "cancelInvocation", invocationId: "never-sent" })); // accepted silently
    const deadline = Date.now() + 3000;
    while (!aborted.includes(connectionId) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(aborted).toContain(connectionId);
    await new Promise((resolve) => setTimeout(resolve, 1000)); // past the invoke timeout
    expect(frames.filter((f) => f.type === "invokeResponse")).toEqual([]);
    socket.close(1000);
  });

  it("the official client's abortSignal and its socket closing both abort the upstream request", async () => {
    const c = await client();
    const controller = new AbortController();
    const before = aborted.length;
    const pending = c.invokeEvent("slow", "x", "text", { abortSignal: controller.signal }).then(
      () => "resolved",
      (error: Error) => error.message,
    );
    await new Promise((resolve) => setTimeout(resolve, 150));
    controller.abort();
    expect(await pending).toBe("Invocation cancelled by abortSignal.");
    const deadline = Date.now() + 3000;
    while (aborted.length === before && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(aborted.length).toBe(before + 1);
    // A second slow call, then the socket goes: the client fails it at once and the service cuts the request.
    const second = c.invokeEvent("slow", "x", "text").then(
      () => "resolved",
      (error: Error) => error.message,
    );
    await new Promise((resolve) => setTimeout(resolve, 150));
    c.stop();
    expect(await second).toMatch(/disconnected|stopped|closed/i);
    const until = Date.now() + 3000;
    while (aborted.length === before + 1 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(aborted.length).toBe(before + 2);
  });

  it("runs invocations concurrently, bounded per connection; invokeResponse carries no sequenceId", async () => {
    const { socket, frames } = await rawSocket("raw2", "json.reliable.webpubsub.azure.v1");
    for (let i = 1; i <= 3; i += 1) socket.send(JSON.stringify({ type: "invoke", invocationId: `s${i}`, event: "slow", dataType: "text", data: "x" }));
    socket.send(JSON.stringify({ type: "invoke", invocationId: "over", event: "echo", dataType: "text", data: "x" }));
    const deadline = Date.now() + 5000;
    while (frames.filter((f) => f.type === "invokeResponse").length < 4 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    const responses = frames.filter((f) => f.type === "invokeResponse");
    // The fourth concurrent invocation is refused at once, before the three slow ones time out.
    expect(responses[0]).toEqual({
      type: "invokeResponse",
      invocationId: "over",
      success: false,
      error: { name: "TooManyInvocations", message: "The connection already has 3 invocations waiting for the event handler, the most one connection may have." },
    });
    expect(responses.slice(1).map((r) => [r.invocationId, (r.error as { name: string }).name]).sort()).toEqual([["s1", "Timeout"], ["s2", "Timeout"], ["s3", "Timeout"]]);
    expect(responses.every((r) => !("sequenceId" in r))).toBe(true);
    socket.close(1000);
  });

  it("a bad dataType with a usable id is answered BadRequest; without an id the frame closes the socket with 1007", async () => {
    const { socket, frames } = await rawSocket("raw3", "json.webpubsub.azure.v1");
    const closed = new Promise<number>((resolve) => socket.once("close", (code) => resolve(code)));
    socket.send(JSON.stringify({ type: "invoke", invocationId: "b1", event: "echo", dataType: "protobuf", data: "AA==" }));
    while (!frames.some((f) => f.type === "invokeResponse")) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(frames.find((f) => f.type === "invokeResponse")).toEqual({
      type: "invokeResponse",
      invocationId: "b1",
      success: false,
      error: { name: "BadRequest", message: "dataType must be json, text or binary" },
    });
    socket.send(JSON.stringify({ type: "invoke", event: "echo" }));
    expect(await closed).toBe(1007);
  });
});
