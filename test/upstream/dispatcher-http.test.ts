import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createUpstreamDispatcher } from "../../emulator/src/upstream/http-upstream-dispatcher";
import type { UpstreamDispatcher } from "../../emulator/src/upstream/upstream-dispatcher";
import { noMeter, type ServiceMeter } from "../../emulator/src/metering/service-meter";
import { parseEventHandlerOption, settingsFromHandlers } from "../../emulator/src/upstream/upstream-settings";
import { signConnectionId } from "../../common/cloud-events-signature";

// The dispatcher alone against plain node:http handlers: exact wire headers, timeouts, GET fallback, metering.
type Handler = (req: http.IncomingMessage, body: Buffer, res: http.ServerResponse) => void;
const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()!();
});

async function handlerServer(handler: Handler): Promise<string> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => handler(req, Buffer.concat(chunks), res));
  });
  server.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  cleanup.push(() => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function dispatcher(url: string, options: { meter?: ServiceMeter; log?: string[]; requestTimeoutMs?: number } = {}): UpstreamDispatcher {
  const upstream = createUpstreamDispatcher({
    settings: settingsFromHandlers([parseEventHandlerOption(`hub1=${url}/{hub}/{event}`)]),
    accessKeys: ["key-1", "key-2"],
    origin: "localhost:8080",
    retryDelaysMs: [5],
    requestTimeoutMs: options.requestTimeoutMs ?? 2000,
    newEventId: () => "evt-1",
    now: () => Date.UTC(2030, 0, 1),
    ...(options.meter ? { meter: options.meter } : {}),
    log: (line) => options.log?.push(line),
  });
  cleanup.push(() => upstream.close());
  return upstream;
}

const connection = { hub: "hub1", connectionId: "conn-1", userId: "u1", subprotocol: "json.webpubsub.azure.v1", connectionState: "e30=" };
const allowAll = (req: http.IncomingMessage, res: http.ServerResponse): boolean => {
  if (req.method !== "OPTIONS") return false;
  res.writeHead(200, { "WebHook-Allowed-Origin": "*" }).end();
  return true;
};

describe("HTTP upstream dispatcher", () => {
  it("sends the exact CloudEvents request for a user event and reads the reply", async () => {
    const seen: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders; body: string }> = [];
    const url = await handlerServer((req, body, res) => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body: body.toString() });
      if (allowAll(req, res)) return;
      res.writeHead(200, { "Content-Type": "application/json; charset=utf-8", "ce-connectionState": "eyJhIjoxfQ==" }).end('{"ok":true}');
    });
    const outcome = await dispatcher(url).userEvent(connection, "chat", "text", Buffer.from("héllo"));
    expect(outcome).toEqual({ kind: "handled", connectionState: "eyJhIjoxfQ==", response: { dataType: "json", data: new Uint8Array(Buffer.from('{"ok":true}')) } });
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual(["OPTIONS /hub1/validate", "POST /hub1/chat"]);
    expect(seen[0]!.headers).toMatchObject({ "webhook-request-origin": "localhost:8080", "ce-awpsversion": "1.0" });
    const { host: _host, connection: _connection, ...headers } = seen[1]!.headers;
    expect(headers).toEqual({
      "ce-specversion": "1.0",
      "ce-awpsversion": "1.0",
      "ce-type": "azure.webpubsub.user.chat",
      "ce-source": "/hubs/hub1/client/conn-1",
      "ce-id": "evt-1",
      "ce-time": "2030-01-01T00:00:00.000Z",
      "ce-hub": "hub1",
      "ce-connectionid": "conn-1",
      "ce-eventname": "chat",
      "ce-userid": "u1",
      "ce-subprotocol": "json.webpubsub.azure.v1",
      "ce-connectionstate": "e30=",
      "ce-signature": signConnectionId(["key-1", "key-2"], "conn-1"),
      "webhook-request-origin": "localhost:8080",
      "content-type": "text/plain",
      "content-length": "6",
    });
    expect(seen[1]!.body).toBe("héllo");
  });

  it("validates once per handler URL, falling back to GET when OPTIONS is 404", async () => {
    const methods: string[] = [];
    const url = await handlerServer((req, _body, res) => {
      methods.push(`${req.method} ${req.url}`);
      if (req.method === "OPTIONS") return void res.writeHead(404).end();
      if (req.method === "GET") return void res.writeHead(200, { "WebHook-Allowed-Origin": "localhost:8080" }).end();
      res.writeHead(204).end();
    });
    const upstream = dispatcher(url);
    await Promise.all([upstream.userEvent(connection, "a", "text", Buffer.from("1")), upstream.userEvent(connection, "a", "text", Buffer.from("2"))]);
    expect(await upstream.userEvent(connection, "a", "text", Buffer.from("3"))).toEqual({ kind: "handled" });
    expect(methods.filter((m) => !m.startsWith("POST"))).toEqual(["OPTIONS /hub1/validate", "GET /hub1/validate"]);
    expect(methods.filter((m) => m.startsWith("POST"))).toHaveLength(3);
  });

  it("times out each attempt, retries, then fails with a clear message and one log line", async () => {
    const log: string[] = [];
    let posts = 0;
    const url = await handlerServer((req, _body, res) => {
      if (allowAll(req, res)) return;
      posts++; // never answers
    });
    const outcome = await dispatcher(url, { log, requestTimeoutMs: 100 }).userEvent(connection, "slow", "binary", Buffer.from([1]));
    const origin = new URL(url).origin;
    expect(outcome).toEqual({ kind: "failed", message: `The event handler could not be reached: no response from ${origin} within 100 ms.` });
    expect(posts).toBe(2);
    expect(log).toEqual([`upstream: slow event to ${url}/hub1/slow failed after 2 attempts: no response from ${origin} within 100 ms`]);
  });

  it("rejects connect with 500 when the handler is unreachable, and with its own status otherwise", async () => {
    const closed = await handlerServer(() => {});
    await cleanup.pop()!(); // the server is gone: connection refused
    const request = { claims: {}, query: {}, headers: {}, subprotocols: [], clientCertificates: [] };
    const unreachable = await dispatcher(closed).connect(connection, request);
    expect(unreachable).toMatchObject({ kind: "reject", status: 500 });

    const url = await handlerServer((req, _body, res) => {
      if (allowAll(req, res)) return;
      res.writeHead(401, { "Content-Type": "text/plain" }).end("no entry");
    });
    expect(await dispatcher(url).connect(connection, request)).toEqual({ kind: "reject", status: 401, message: "no entry" });
  });

  it("meters upstream bytes of user events only, and latency per event kind", async () => {
    const calls: string[] = [];
    const meter: ServiceMeter = {
      ...noMeter,
      outboundMessage: (hub, target, bytes) => calls.push(`out ${hub} ${target} ${bytes}`),
      upstreamLatency: (event, seconds) => calls.push(`latency ${event} ${seconds >= 0 && seconds < 5}`),
    };
    const posted: string[] = [];
    const url = await handlerServer((req, _body, res) => {
      if (allowAll(req, res)) return;
      posted.push(String(req.headers["ce-type"]));
      res.writeHead(200).end();
    });
    const upstream = dispatcher(url, { meter });
    await upstream.connect(connection, { claims: {}, query: {}, headers: {}, subprotocols: [], clientCertificates: [] });
    await upstream.userEvent(connection, "e", "binary", new Uint8Array(3000));
    upstream.disconnected(connection, "bye");
    await upstream.close();
    expect(calls).toEqual(["latency connect true", "out hub1 upstream 3000", "latency user true", "latency disconnected true"]);
    expect(posted).toEqual(["azure.webpubsub.sys.connect", "azure.webpubsub.user.e", "azure.webpubsub.sys.disconnected"]);
  });

  it("refuses an event body over 1 MiB without sending it", async () => {
    let posts = 0;
    const url = await handlerServer((req, _body, res) => {
      if (allowAll(req, res)) return;
      posts++;
      res.writeHead(200).end();
    });
    const upstream = dispatcher(url);
    expect(await upstream.userEvent(connection, "e", "binary", new Uint8Array(1024 * 1024 + 1))).toEqual({
      kind: "failed",
      message: "The event payload of 1048577 bytes exceeds the 1048576-byte upstream limit.",
    });
    expect(await upstream.userEvent(connection, "e", "binary", new Uint8Array(1024 * 1024))).toEqual({ kind: "handled" });
    expect(posts).toBe(1);
  });
});
