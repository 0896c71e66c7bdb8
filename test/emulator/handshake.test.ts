import http from "node:http";
import jwt from "jsonwebtoken";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { DEFAULT_ACCESS_KEY } from "../../emulator/src/options";
import type { ServiceServer } from "../../emulator/src/server";
import { EmulatorFixture } from "./support/emulator-fixture";

const fixture = new EmulatorFixture();
afterEach(() => fixture.cleanup());

function wsUrl(server: ServiceServer, path: string): string {
  return `${server.url.replace(/^http/, "ws")}${path}`;
}

function sign(payload: object, key = DEFAULT_ACCESS_KEY, options: jwt.SignOptions = {}): string {
  return jwt.sign(payload, key, { algorithm: "HS256", ...options });
}

/** Attempts an upgrade; resolves with the HTTP status and body of a refusal, or "open" with the chosen subprotocol. */
function attempt(url: string, protocols?: string[], headers?: Record<string, string>): Promise<{ status: number; body: string } | { open: string }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, protocols, { headers, perMessageDeflate: false });
    socket.on("unexpected-response", (_req, res: http.IncomingMessage) => {
      let body = "";
      res.on("data", (chunk: Buffer) => (body += chunk.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    socket.on("open", () => {
      resolve({ open: socket.protocol });
      socket.close();
    });
    socket.on("error", (error) => {
      if (!String(error.message).startsWith("Unexpected server response")) reject(error);
    });
  });
}

describe("client handshake", () => {
  it.each([
    ["an unknown path", "/client/other/hub1", 404],
    ["a path outside /client", "/nothing", 404],
    ["a hub name starting with a digit", "/client/hubs/1hub", 400],
    ["a hub name with a dash", "/client/hubs/my-hub", 400],
    ["/client/ with no hub query", "/client/", 400],
  ])("refuses %s with %i", async (_name, path, status) => {
    const server = await fixture.start();
    const token = sign({ aud: `${server.url}${path}` }, DEFAULT_ACCESS_KEY, { expiresIn: "1h" });
    const result = await attempt(wsUrl(server, `${path}?access_token=${token}`));
    expect(result).toMatchObject({ status });
    expect((result as { body: string }).body).not.toContain("\n");
  });

  it("refuses bad tokens with 401 and a one-line reason", async () => {
    const server = await fixture.start();
    const aud = `${server.url}/client/hubs/hub1`;
    const now = Math.floor(Date.now() / 1000);
    const cases: Array<[string, string | undefined, string]> = [
      ["missing", undefined, "An access token is required (access_token query or Authorization: Bearer)."],
      ["garbage", "not.a.jwt", "Unauthorized: the access token is invalid."],
      ["wrong key", sign({ aud }, "another-key-another-key-another-key!!", { expiresIn: "1h" }), "Unauthorized: the access token is invalid."],
      ["expired past the 5 min skew", sign({ aud, exp: now - 301 }), "Unauthorized: the access token has expired."],
      ["alg none", jwt.sign({ aud, exp: now + 60 }, "", { algorithm: "none" }), "Unauthorized: the access token is invalid."],
      ["HS384", sign({ aud }, DEFAULT_ACCESS_KEY, { algorithm: "HS384", expiresIn: "1h" }), "Unauthorized: the access token is invalid."],
      ["another hub's audience", sign({ aud: `${server.url}/client/hubs/hub2` }, DEFAULT_ACCESS_KEY, { expiresIn: "1h" }), "Unauthorized: the access token audience does not match this hub."],
      ["the hub in another case", sign({ aud: `${server.url}/client/hubs/HUB1` }, DEFAULT_ACCESS_KEY, { expiresIn: "1h" }), "Unauthorized: the access token audience does not match this hub."],
      ["bad percent-encoding in the audience", sign({ aud: `${server.url}/client/hubs/hub1%E0%A4%A` }, DEFAULT_ACCESS_KEY, { expiresIn: "1h" }), "Unauthorized: the access token audience does not match this hub."],
      ["no exp (it would never expire)", sign({ aud }), "Unauthorized: the access token has no exp claim."],
    ];
    for (const [name, token, reason] of cases) {
      const result = await attempt(wsUrl(server, `/client/hubs/hub1${token ? `?access_token=${token}` : ""}`));
      expect({ name, result }).toEqual({ name, result: { status: 401, body: reason } });
    }
  });

  it("accepts tokens within the skew, audiences with another host, an upper-case path prefix or a trailing slash, header tokens and string claims", async () => {
    const server = await fixture.start();
    const now = Math.floor(Date.now() / 1000);
    const accepted = [
      `?access_token=${sign({ aud: `${server.url}/client/hubs/hub1`, exp: now - 200 })}`,
      `?access_token=${sign({ aud: `HTTP://LOCALHOST:1/CLIENT/HUBS/hub1/`, exp: now + 60, role: "webpubsub.joinLeaveGroup", "webpubsub.group": "g" })}`,
    ];
    for (const query of accepted) expect(await attempt(wsUrl(server, `/client/hubs/hub1${query}`))).toEqual({ open: "" });
    const headerToken = sign({ aud: `${server.url}/client/hubs/hub1` }, DEFAULT_ACCESS_KEY, { expiresIn: "1h" });
    expect(await attempt(wsUrl(server, "/client/?hub=hub1"), undefined, { Authorization: `Bearer ${headerToken}` })).toEqual({ open: "" });
  });

  it("puts string role and group claims to work: joined to the group, allowed to leave it", async () => {
    const server = await fixture.start();
    const token = sign({ aud: `${server.url}/client/hubs/hub1`, sub: "u9", role: "webpubsub.joinLeaveGroup.g", "webpubsub.group": "g" }, DEFAULT_ACCESS_KEY, { expiresIn: "1h" });
    const { socket, inbox } = await fixture.openSocket(wsUrl(server, `/client/hubs/hub1?access_token=${token}`), "json.webpubsub.azure.v1");
    await inbox.frameCount(1);
    expect(await server.service.groupConnections("hub1", "g")).toEqual([{ connectionId: inbox.json()[0]!.connectionId, userId: "u9" }]);
    socket.send(JSON.stringify({ type: "leaveGroup", group: "g", ackId: 1 }));
    await inbox.frameCount(2);
    expect(inbox.json()[1]).toEqual({ type: "ack", ackId: 1, success: true });
    expect(await server.service.groupExists("hub1", "g")).toBe(false);
  });

  it("accepts the secondary key and rejects a token signed with neither", async () => {
    const secondary = "SECONDARY-KEY-0123456789-0123456789-abcdef";
    const server = await fixture.start({ accessKey: "PRIMARY-KEY-0123456789-0123456789-abcdef", secondaryAccessKey: secondary });
    const aud = `${server.url}/client/hubs/hub1`;
    expect(await attempt(wsUrl(server, `/client/hubs/hub1?access_token=${sign({ aud }, secondary, { expiresIn: "1h" })}`))).toEqual({ open: "" });
    expect(await attempt(wsUrl(server, `/client/hubs/hub1?access_token=${sign({ aud }, DEFAULT_ACCESS_KEY, { expiresIn: "1h" })}`))).toMatchObject({ status: 401 });
  });

  it.each([
    [["json.webpubsub.azure.v1"], "json.webpubsub.azure.v1"],
    [["json.reliable.webpubsub.azure.v1"], "json.reliable.webpubsub.azure.v1"],
    [["mqtt", "json.webpubsub.azure.v1"], "json.webpubsub.azure.v1"],
    [undefined, ""],
  ])("offered %j: echoes %j", async (offered, chosen) => {
    const server = await fixture.start();
    const url = await fixture.clientUrl(server, "hub1");
    expect(await attempt(url, offered)).toEqual({ open: chosen });
  });

  it("refuses with the meter's status when it refuses the connection", async () => {
    const { noMeter } = await import("../../emulator/src/metering/service-meter");
    const server = await fixture.start({ meter: { ...noMeter, admitConnection: () => ({ status: 429, code: "QuotaExceeded", message: "Too many connections." }) } });
    expect(await attempt(await fixture.clientUrl(server, "hub1"))).toEqual({ status: 429, body: "QuotaExceeded: Too many connections." });
  });

  it("serves HEAD and GET /health (and /api/health) with 200 and no key, and unknown paths with a JSON 404", async () => {
    const server = await fixture.start();
    for (const path of ["/health", "/api/health"]) {
      expect((await fetch(`${server.url}${path}`, { method: "HEAD" })).status).toBe(200);
      const get = await fetch(`${server.url}${path}`);
      expect([get.status, await get.json()]).toEqual([200, { status: "ok", service: "webpubsub", version: "0.1.0" }]);
    }
    const missing = await fetch(`${server.url}/nope`);
    expect([missing.status, await missing.json()]).toEqual([404, { code: "NotFound", message: "No route for GET /nope." }]);
  });

  it("reports the real port and the connection string for port 0", async () => {
    const server = await fixture.start({ accessKey: "k".repeat(40) });
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://localhost:${server.port}`);
    expect(server.connectionString).toBe(`Endpoint=http://localhost:${server.port};AccessKey=${"k".repeat(40)};Version=1.0;`);
  });
});
