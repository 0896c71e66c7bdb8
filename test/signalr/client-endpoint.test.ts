import { HubConnectionBuilder, LogLevel } from "@microsoft/signalr";
import { createRequire } from "node:module";
import { afterEach, describe, expect, it, vi } from "vitest";
import { WebSocket } from "ws";
import { until } from "../support/until";
import { clientToken, SignalRFixture } from "./support/signalr-fixture";
import { negotiate, RawSignalRSocket, upgradeStatus } from "./support/raw-signalr";

// The client (loaded as CommonJS, its package `main`) takes the browser code path, token in
// access_token, when its Platform.isNode is false.
const { Platform } = createRequire(__filename)("@microsoft/signalr/dist/cjs/Utils") as { Platform: { isNode: boolean } };

const fixture = new SignalRFixture();
afterEach(async () => {
  vi.restoreAllMocks();
  await fixture.cleanup();
});

const SECONDARY = "SECONDARY-KEY-0123456789-0123456789-01234567";

describe("client negotiate", () => {
  it("answers version 1 with a public connectionId, a secret connectionToken, the three transports and never a url", async () => {
    const server = await fixture.start();
    const response = await fetch(`${server.url}/client/negotiate?hub=Chat&negotiateVersion=1`, { method: "POST", headers: { authorization: `Bearer ${clientToken("chat")}` } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(["availableTransports", "connectionId", "connectionToken", "negotiateVersion"]);
    expect(body.negotiateVersion).toBe(1);
    expect(body.connectionId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(body.connectionToken).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(body.connectionToken).not.toBe(body.connectionId);
    expect(body.availableTransports).toEqual([
      { transport: "WebSockets", transferFormats: ["Text", "Binary"] },
      { transport: "ServerSentEvents", transferFormats: ["Text"] },
      { transport: "LongPolling", transferFormats: ["Text", "Binary"] },
    ]);
  });

  it("answers version 0 without a connectionToken; the connectionId is then the socket's id", async () => {
    const server = await fixture.start();
    const body = await negotiate(server, "chat", clientToken("chat"), 0);
    expect(body.connectionToken).toBeUndefined();
    const url = `${server.url.replace(/^http/, "ws")}/client/?hub=chat&id=${body.connectionId}`;
    expect(await upgradeStatus(url, { authorization: `Bearer ${clientToken("chat")}` })).toBe(101);
  });

  it.each([
    ["no token", undefined],
    ["a token signed with another key", clientToken("chat", {}, "another-key")],
    ["an expired token", clientToken("chat", {}, undefined, { expiresIn: -3600 })],
    ["a token for another endpoint", jwtForAudience("http://localhost/api/hubs/chat")],
    ["an HS384 token", clientToken("chat", {}, undefined, { algorithm: "HS384", expiresIn: 60 })],
    ["a token for another hub", clientToken("admin")],
    ["a token without exp", clientToken("chat", {}, undefined, {})],
    ["a token whose audience names no hub", jwtForAudience("https://elsewhere.example/client")],
    ["a token for an application's hub, used without the application", clientToken("app_chat")],
  ])("refuses %s with 401 and no body", async (_name, token) => {
    const server = await fixture.start();
    const response = await fetch(`${server.url}/client/negotiate?hub=chat&negotiateVersion=1`, {
      method: "POST",
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    expect(response.status).toBe(401);
    expect(await response.text()).toBe("");
  });

  it("accepts HS512, the secondary key, an aud with a port, and an application's hub as the SDKs name it", async () => {
    const server = await fixture.start({ secondaryAccessKey: SECONDARY });
    for (const token of [
      clientToken("chat", {}, undefined, { algorithm: "HS512", expiresIn: 60 }),
      clientToken("chat", {}, SECONDARY),
      jwtForAudience(`${server.url}/client/?hub=chat`),
      jwtForAudience("https://elsewhere.example/client/?hub=CHAT"),
    ]) {
      expect((await negotiate(server, "chat", token)).connectionId).toHaveLength(22);
    }
    const forApp = await fetch(`${server.url}/client/negotiate?hub=Chat&application=App&negotiateVersion=1`, {
      method: "POST",
      headers: { authorization: `Bearer ${jwtForAudience("http://localhost/client/?hub=app_chat")}` },
    });
    expect(forApp.status).toBe(200);
  });

  it("a token minted for one hub opens no other hub: negotiate, the socket after negotiate, and skipNegotiation", async () => {
    const server = await fixture.start();
    const ws = server.url.replace(/^http/, "ws");
    const forChat = clientToken("chat");
    expect((await fetch(`${server.url}/client/negotiate?hub=admin&negotiateVersion=1`, { method: "POST", headers: { authorization: `Bearer ${forChat}` } })).status).toBe(401);
    expect(await upgradeStatus(`${ws}/client/?hub=admin`, { authorization: `Bearer ${forChat}` })).toBe(401);
    expect(await upgradeStatus(`${ws}/client/?hub=admin&access_token=${forChat}`)).toBe(401);
    const { connectionToken } = await negotiate(server, "admin", clientToken("admin"));
    expect(await upgradeStatus(`${ws}/client/?hub=admin&id=${connectionToken}`, { authorization: `Bearer ${forChat}` })).toBe(401);
    expect(await upgradeStatus(`${ws}/client/?hub=chat`, { authorization: `Bearer ${forChat}` })).toBe(101);
  });

  it("needs a valid hub (400) and POST (405)", async () => {
    const server = await fixture.start();
    const auth = { authorization: `Bearer ${clientToken("chat")}` };
    expect((await fetch(`${server.url}/client/negotiate?negotiateVersion=1`, { method: "POST", headers: auth })).status).toBe(400);
    expect((await fetch(`${server.url}/client/negotiate?hub=1bad`, { method: "POST", headers: auth })).status).toBe(400);
    expect((await fetch(`${server.url}/client/negotiate?hub=chat`, { headers: auth })).status).toBe(405);
  });

  it("allows browsers: the preflight echoes the origin and headers, with credentials", async () => {
    const server = await fixture.start();
    const preflight = await fetch(`${server.url}/client/negotiate?hub=chat&negotiateVersion=1`, {
      method: "OPTIONS",
      headers: { origin: "http://app.example:3000", "access-control-request-method": "POST", "access-control-request-headers": "authorization,x-requested-with,x-signalr-user-agent" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("http://app.example:3000");
    expect(preflight.headers.get("access-control-allow-credentials")).toBe("true");
    expect(preflight.headers.get("access-control-allow-headers")).toBe("authorization,x-requested-with,x-signalr-user-agent");
    expect(preflight.headers.get("access-control-allow-methods")).toBe("GET, POST");
    const actual = await fetch(`${server.url}/client/negotiate?hub=chat&negotiateVersion=1`, {
      method: "POST",
      headers: { origin: "http://app.example:3000", authorization: `Bearer ${clientToken("chat")}` },
    });
    expect(actual.headers.get("access-control-allow-origin")).toBe("http://app.example:3000");
    expect(actual.headers.get("access-control-allow-credentials")).toBe("true");
  });
});

describe("WebSocket connect", () => {
  it("uses a connectionToken once; unknown, used, expired or other-hub ids get 404", async () => {
    const server = await fixture.start({ signalr: { connectionTokenLifetimeMs: 300 } });
    const token = clientToken("chat");
    const headers = { authorization: `Bearer ${token}` };
    const ws = server.url.replace(/^http/, "ws");
    const { connectionToken } = await negotiate(server, "chat", token);
    expect(await upgradeStatus(`${ws}/client/?hub=chat&id=${connectionToken}`, headers)).toBe(101);
    expect(await upgradeStatus(`${ws}/client/?hub=chat&id=${connectionToken}`, headers)).toBe(404);
    expect(await upgradeStatus(`${ws}/client/?hub=chat&id=never-issued`, headers)).toBe(404);
    const other = await negotiate(server, "chat", token);
    expect(await upgradeStatus(`${ws}/client/?hub=other&id=${other.connectionToken}`, { authorization: `Bearer ${clientToken("other")}` })).toBe(404);
    const late = await negotiate(server, "chat", token);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await upgradeStatus(`${ws}/client/?hub=chat&id=${late.connectionToken}`, headers)).toBe(404);
  });

  it("checks the token on the upgrade too: header first, else access_token; none or bad is 401", async () => {
    const server = await fixture.start();
    const ws = server.url.replace(/^http/, "ws");
    const first = await negotiate(server, "chat");
    expect(await upgradeStatus(`${ws}/client/?hub=chat&id=${first.connectionToken}`)).toBe(401);
    const second = await negotiate(server, "chat");
    expect(await upgradeStatus(`${ws}/client/?hub=chat&id=${second.connectionToken}&access_token=${clientToken("chat", {}, "bad-key")}`)).toBe(401);
    const third = await negotiate(server, "chat");
    // The header wins over a bad query token.
    expect(
      await upgradeStatus(`${ws}/client/?hub=chat&id=${third.connectionToken}&access_token=garbage`, { authorization: `Bearer ${clientToken("chat")}` }),
    ).toBe(101);
    const fourth = await negotiate(server, "chat");
    expect(await upgradeStatus(`${ws}/client/?hub=chat&id=${fourth.connectionToken}&access_token=${encodeURIComponent(clientToken("chat"))}`)).toBe(101);
  });

  it("connects @microsoft/signalr in Node (token in the Authorization header), JSON and MessagePack", async () => {
    const server = await fixture.start();
    const json = await fixture.connect(server, "chat", { protocol: "json" });
    const msgpack = await fixture.connect(server, "chat", { protocol: "messagepack" });
    expect(json.connectionId).toHaveLength(22);
    expect(msgpack.connectionId).toHaveLength(22);
    expect(await server.service.connectionExists("signalr:chat", json.connectionId)).toBe(true);
    expect(await server.service.connectionExists("signalr:chat", msgpack.connectionId)).toBe(true);
  });

  it("connects @microsoft/signalr as a browser does (token in access_token, no header)", async () => {
    const server = await fixture.start();
    vi.spyOn(Platform, "isNode", "get").mockReturnValue(false);
    const opened: Array<{ url: string; options: unknown }> = [];
    class RecordingWebSocket extends WebSocket {
      constructor(url: string, protocols?: string | string[], options?: object) {
        super(url, protocols, options);
        opened.push({ url, options });
      }
    }
    const connection = new HubConnectionBuilder()
      .withUrl(`${server.url}/client/?hub=chat`, { accessTokenFactory: () => clientToken("chat", { "asrs.s.uid": "browser-user" }), ...({ WebSocket: RecordingWebSocket } as object) })
      .configureLogging(LogLevel.None)
      .build();
    await connection.start();
    try {
      expect(await server.service.userExists("signalr:chat", "browser-user")).toBe(true);
      expect(opened).toHaveLength(1);
      expect(opened[0]!.url).toMatch(/\/client\/\?hub=chat&id=[\w-]{22}&access_token=ey/);
      expect(opened[0]!.options).toBeUndefined();
    } finally {
      await connection.stop();
    }
  });

  it("takes the user id from asrs.s.uid, then nameid, then sub", async () => {
    const server = await fixture.start();
    await fixture.connect(server, "chat", { token: clientToken("chat", { "asrs.s.uid": "u-asrs", nameid: "u-nameid", sub: "u-sub" }) });
    await fixture.connect(server, "chat", { token: clientToken("chat", { nameid: "n-nameid", sub: "n-sub" }) });
    await fixture.connect(server, "chat", { token: clientToken("chat", { sub: "s-sub" }) });
    for (const [user, exists] of [["u-asrs", true], ["u-nameid", false], ["u-sub", false], ["n-nameid", true], ["n-sub", false], ["s-sub", true]] as const) {
      expect(await server.service.userExists("signalr:chat", user)).toBe(exists);
    }
  });

  it("fails start() with the client's own message when the token is refused", async () => {
    const server = await fixture.start();
    await expect(fixture.connect(server, "chat", { token: clientToken("chat", {}, "wrong-key") })).rejects.toThrow("Status code '401'");
  });
});

describe("hub protocol", () => {
  it("answers an unknown protocol with a handshake error and closes", async () => {
    const server = await fixture.start();
    const raw = await RawSignalRSocket.open(server, "chat");
    raw.sendText('{"protocol":"xml","version":1}\x1e');
    await until(() => raw.closed);
    expect(raw.text()).toBe('{"error":"Requested protocol \'xml\' is not available."}\x1e');
  });

  it("handles several messages in one frame, and the handshake sharing a frame with them", async () => {
    const server = await fixture.start();
    const raw = await RawSignalRSocket.open(server, "chat");
    raw.sendText('{"protocol":"json","version":1}\x1e{"type":6}\x1e{"type":1,"invocationId":"7","target":"x","arguments":[]}\x1e{"type":1,"invocationId":"8","target":"y","arguments":[1]}\x1e');
    await until(() => (raw.jsonMessages().length >= 3 ? true : undefined));
    expect(raw.jsonMessages()).toEqual([
      {},
      { type: 3, invocationId: "7", error: "No upstream handles invocations of 'x' on hub 'chat'." },
      { type: 3, invocationId: "8", error: "No upstream handles invocations of 'y' on hub 'chat'." },
    ]);
  });

  it("pings at the keep-alive interval and closes a client silent past the timeout", async () => {
    const server = await fixture.start({ signalr: { keepAliveIntervalMs: 100, clientTimeoutMs: 450 } });
    const raw = await RawSignalRSocket.open(server, "chat");
    raw.sendText('{"protocol":"json","version":1}\x1e');
    await until(() => raw.closed, 5000);
    const messages = raw.jsonMessages();
    expect(messages[0]).toEqual({});
    const pings = messages.filter((m) => m.type === 6).length;
    expect(pings).toBeGreaterThanOrEqual(2);
    expect(messages.at(-1)).toEqual({ type: 7, error: "The client sent nothing for 450 ms.", allowReconnect: true });
  });

  it("keeps a real client alive with pings (it only pings in reply)", async () => {
    const server = await fixture.start({ signalr: { keepAliveIntervalMs: 100, clientTimeoutMs: 400 } });
    const client = await fixture.connect(server, "chat", { keepAliveMs: 50, serverTimeoutMs: 400 });
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(client.closes).toEqual([]);
    expect(await server.service.connectionExists("signalr:chat", client.connectionId)).toBe(true);
  });

  it("on shutdown, tells clients why and lets them reconnect", async () => {
    const server = await fixture.start();
    const json = await fixture.connect(server, "chat", { reconnect: true });
    const msgpack = await fixture.connect(server, "chat", { reconnect: true, protocol: "messagepack" });
    await server.close();
    await until(() => (json.reconnecting.length === 1 && msgpack.reconnecting.length === 1 ? true : undefined));
    expect([json.reconnecting[0]?.message, msgpack.reconnecting[0]?.message]).toEqual([
      "Server returned an error on close: The service is shutting down.",
      "Server returned an error on close: The service is shutting down.",
    ]);
  });

  it("closes a socket whose handshake never comes", async () => {
    const server = await fixture.start({ signalr: { handshakeTimeoutMs: 150 } });
    const raw = await RawSignalRSocket.open(server, "chat");
    await until(() => raw.closed);
    expect(raw.text()).toBe('{"error":"The handshake did not arrive in time."}\x1e');
  });

  it("answers a stream invocation with an error Completion", async () => {
    const server = await fixture.start();
    const client = await fixture.connect(server, "chat");
    const received: unknown[] = [];
    const error = await new Promise<Error>((resolve) => {
      client.connection.stream("counter", 3).subscribe({ next: (item) => received.push(item), complete: () => resolve(new Error("completed")), error: resolve });
    });
    expect(error.message).toBe("Stream invocations are not supported in serverless mode.");
    expect(received).toEqual([]);
  });
});

function jwtForAudience(aud: string): string {
  return clientToken("ignored", { aud });
}
