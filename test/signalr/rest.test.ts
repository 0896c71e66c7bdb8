import http from "node:http";
import jwt from "jsonwebtoken";
import { DEFAULT_ACCESS_KEY } from "../../emulator/src/options";
import { afterEach, describe, expect, it } from "vitest";
import type { ServiceServer } from "../../emulator/src/server";
import { until } from "../support/until";
import { restToken, SignalRFixture, type TestClient, type WireProtocol } from "./support/signalr-fixture";

const fixture = new SignalRFixture();
afterEach(() => fixture.cleanup());

/** Waits until every client got its expected count, then checks nobody got more. */
async function expectDelivered(expected: Array<[TestClient, number]>): Promise<void> {
  await until(() => (expected.every(([client, count]) => client.received.length >= count) ? true : undefined));
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(expected.map(([client]) => client.received.length)).toEqual(expected.map(([, count]) => count));
}

async function status(response: Promise<Response>): Promise<number> {
  const r = await response;
  await r.arrayBuffer();
  return r.status;
}

describe.each<WireProtocol>(["json", "messagepack"])("REST sends reach %s clients", (protocol) => {
  async function three(server: ServiceServer) {
    const alice1 = await fixture.connect(server, "chat", { userId: "alice", protocol });
    const alice2 = await fixture.connect(server, "chat", { userId: "alice", protocol: protocol === "json" ? "messagepack" : "json" });
    const bob = await fixture.connect(server, "chat", { userId: "bob", protocol });
    return { alice1, alice2, bob };
  }

  it("broadcast with excluded, arguments of every JSON type", async () => {
    const server = await fixture.start();
    const { alice1, alice2, bob } = await three(server);
    const args = ["text", 42, -7, 1.5, true, null, { nested: { list: [1, "two", false] } }, []];
    expect(await status(fixture.rest(server, "POST", `/api/hubs/chat/:send?excluded=${alice2.connectionId}`, { target: "message", arguments: args }))).toBe(202);
    await expectDelivered([[alice1, 1], [alice2, 0], [bob, 1]]);
    expect(alice1.received[0]).toEqual({ target: "message", args });
    expect(bob.received[0]).toEqual({ target: "message", args });
  });

  it("to a user (every connection of that user), to a connection", async () => {
    const server = await fixture.start();
    const { alice1, alice2, bob } = await three(server);
    expect(await status(fixture.rest(server, "POST", "/api/hubs/chat/users/alice/:send", { Target: "message", Arguments: ["for alice"] }))).toBe(202);
    await expectDelivered([[alice1, 1], [alice2, 1], [bob, 0]]);
    expect(await status(fixture.rest(server, "POST", `/api/hubs/chat/connections/${bob.connectionId}/:send`, { target: "message", arguments: ["for bob"] }))).toBe(202);
    await expectDelivered([[alice1, 1], [alice2, 1], [bob, 1]]);
    expect(bob.received[0]!.args).toEqual(["for bob"]);
    expect(await status(fixture.rest(server, "POST", "/api/hubs/chat/users/nobody/:send", { target: "message", arguments: [] }))).toBe(202);
  });

  it("to a group: add and remove connections, excluded, remove from all groups", async () => {
    const server = await fixture.start();
    const { alice1, alice2, bob } = await three(server);
    expect(await status(fixture.rest(server, "PUT", `/api/hubs/chat/groups/room/connections/${alice1.connectionId}`))).toBe(200);
    expect(await status(fixture.rest(server, "PUT", `/api/hubs/chat/connections/${bob.connectionId}/groups/room`))).toBe(200);
    expect(await status(fixture.rest(server, "POST", "/api/hubs/chat/groups/room/:send", { target: "message", arguments: [1] }))).toBe(202);
    await expectDelivered([[alice1, 1], [alice2, 0], [bob, 1]]);
    expect(await status(fixture.rest(server, "POST", `/api/hubs/chat/groups/room/:send?excluded=${bob.connectionId}`, { target: "message", arguments: [2] }))).toBe(202);
    await expectDelivered([[alice1, 2], [alice2, 0], [bob, 1]]);
    expect(await status(fixture.rest(server, "DELETE", `/api/hubs/chat/groups/room/connections/${alice1.connectionId}`))).toBe(200);
    expect(await status(fixture.rest(server, "DELETE", `/api/hubs/chat/connections/${bob.connectionId}/groups`))).toBe(200);
    expect(await status(fixture.rest(server, "POST", "/api/hubs/chat/groups/room/:send", { target: "message", arguments: [3] }))).toBe(202);
    await expectDelivered([[alice1, 2], [alice2, 0], [bob, 1]]);
  });
});

describe("REST group membership of users", () => {
  it("a user added without ttl: current and future connections join; removal takes them out", async () => {
    const server = await fixture.start();
    const bob1 = await fixture.connect(server, "chat", { userId: "bob" });
    expect(await status(fixture.rest(server, "PUT", "/api/hubs/chat/users/bob/groups/room"))).toBe(200);
    const bob2 = await fixture.connect(server, "chat", { userId: "bob", protocol: "messagepack" });
    const carol = await fixture.connect(server, "chat", { userId: "carol" });
    expect(await status(fixture.rest(server, "POST", "/api/hubs/chat/groups/room/:send", { target: "message", arguments: ["a"] }))).toBe(202);
    await expectDelivered([[bob1, 1], [bob2, 1], [carol, 0]]);
    expect(await status(fixture.rest(server, "HEAD", "/api/hubs/chat/users/bob/groups/room"))).toBe(200);
    expect(await status(fixture.rest(server, "DELETE", "/api/hubs/chat/users/bob/groups/room"))).toBe(204);
    const bob3 = await fixture.connect(server, "chat", { userId: "bob" });
    expect(await status(fixture.rest(server, "POST", "/api/hubs/chat/groups/room/:send", { target: "message", arguments: ["b"] }))).toBe(202);
    await expectDelivered([[bob1, 1], [bob2, 1], [bob3, 0], [carol, 0]]);
    const notIn = await fixture.rest(server, "GET", "/api/hubs/chat/users/bob/groups/room");
    expect(notIn.status).toBe(404);
    expect(notIn.headers.get("x-ms-error-code")).toBe("Info.User.NotInGroup");
  });

  it("a user added to a group of a hub with no connection yet is a member at once, and the first connection joins", async () => {
    const server = await fixture.start();
    expect(await status(fixture.rest(server, "PUT", "/api/hubs/fresh/users/alice/groups/vip"))).toBe(200);
    expect(await status(fixture.rest(server, "HEAD", "/api/hubs/fresh/users/alice/groups/vip"))).toBe(200);
    const alice = await fixture.connect(server, "fresh", { userId: "alice" });
    expect(await status(fixture.rest(server, "POST", "/api/hubs/fresh/groups/vip/:send", { target: "message", arguments: ["vip"] }))).toBe(202);
    await expectDelivered([[alice, 1]]);
  });

  it("a 30-day ttl (past setTimeout's 24.8-day cap) keeps the membership instead of dropping it at once", async () => {
    const server = await fixture.start();
    expect(await status(fixture.rest(server, "PUT", `/api/hubs/chat/users/erin/groups/month?ttl=${30 * 86_400}`))).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await status(fixture.rest(server, "HEAD", "/api/hubs/chat/users/erin/groups/month"))).toBe(200);
    const erin = await fixture.connect(server, "chat", { userId: "erin" });
    expect(await status(fixture.rest(server, "POST", "/api/hubs/chat/groups/month/:send", { target: "message", arguments: ["m"] }))).toBe(202);
    await expectDelivered([[erin, 1]]);
  });

  it("ttl limits the membership; ttl=0 adds only current connections; remove from all groups", async () => {
    const server = await fixture.start();
    const dan1 = await fixture.connect(server, "chat", { userId: "dan" });
    expect(await status(fixture.rest(server, "PUT", "/api/hubs/chat/users/dan/groups/short?ttl=1"))).toBe(200);
    expect(await status(fixture.rest(server, "PUT", "/api/hubs/chat/groups/now/users/dan?ttl=0"))).toBe(200);
    const dan2 = await fixture.connect(server, "chat", { userId: "dan" });
    expect(await status(fixture.rest(server, "POST", "/api/hubs/chat/groups/short/:send", { target: "message", arguments: ["short"] }))).toBe(202);
    expect(await status(fixture.rest(server, "POST", "/api/hubs/chat/groups/now/:send", { target: "message", arguments: ["now"] }))).toBe(202);
    await expectDelivered([[dan1, 2], [dan2, 1]]);
    expect(dan2.received.map((r) => r.args[0])).toEqual(["short"]);
    // Past the ttl, the current connections leave and new ones do not join.
    const deadline = Date.now() + 5000;
    while ((await fixture.rest(server, "HEAD", "/api/hubs/chat/users/dan/groups/short")).status !== 404) {
      if (Date.now() > deadline) throw new Error("the ttl membership never lapsed");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const dan3 = await fixture.connect(server, "chat", { userId: "dan" });
    expect(await status(fixture.rest(server, "POST", "/api/hubs/chat/groups/short/:send", { target: "message", arguments: ["late"] }))).toBe(202);
    expect(await status(fixture.rest(server, "DELETE", "/api/hubs/chat/users/dan/groups"))).toBe(204);
    expect(await status(fixture.rest(server, "POST", "/api/hubs/chat/groups/now/:send", { target: "message", arguments: ["after"] }))).toBe(202);
    await expectDelivered([[dan1, 2], [dan2, 1], [dan3, 0]]);
    expect(await status(fixture.rest(server, "PUT", "/api/hubs/chat/users/dan/groups/x?ttl=soon"))).toBe(400);
  });
});

describe("REST existence checks and closes", () => {
  it("HEAD and GET answer 200, or 404 with the x-ms-error-code the .NET SDK expects", async () => {
    const server = await fixture.start();
    const erin = await fixture.connect(server, "chat", { userId: "erin" });
    await fixture.rest(server, "PUT", `/api/hubs/chat/groups/g1/connections/${erin.connectionId}`);
    const cases: Array<[string, string, number, string | null]> = [
      ["HEAD", `/api/hubs/chat/connections/${erin.connectionId}`, 200, null],
      ["HEAD", "/api/hubs/chat/connections/missing", 404, "Warning.Connection.NotExisted"],
      ["HEAD", "/api/hubs/chat/users/erin", 200, null],
      ["GET", "/api/hubs/chat/users/frank", 404, "Warning.User.NotExisted"],
      ["HEAD", "/api/hubs/chat/groups/g1", 200, null],
      ["HEAD", "/api/hubs/chat/groups/g2", 404, "Warning.Group.NotExisted"],
      ["GET", "/api/hubs/chat/users/erin/groups/g1", 200, null],
      ["HEAD", "/api/hubs/chat/users/erin/groups/g2", 404, "Info.User.NotInGroup"],
      ["PUT", "/api/hubs/chat/groups/g1/connections/missing", 404, "Error.Connection.NotExisted"],
      ["DELETE", "/api/hubs/chat/connections/missing", 404, "Warning.Connection.NotExisted"],
      ["GET", `/api/v1/hubs/chat/connections/${erin.connectionId}`, 200, null],
      ["GET", "/api/v1/hubs/chat/users/frank", 404, "Warning.User.NotExisted"],
      // The hub is case-insensitive (the SDKs lowercase it).
      ["HEAD", "/api/hubs/CHAT/users/erin", 200, null],
    ];
    for (const [method, path, code, errorCode] of cases) {
      const response = await fixture.rest(server, method, path);
      expect([method, path, response.status, response.headers.get("x-ms-error-code")]).toEqual([method, path, code, errorCode]);
      if (method === "GET" && code === 404) expect(await response.json()).toEqual({ code: errorCode, message: expect.any(String) });
    }
  });

  it.each<WireProtocol>(["json", "messagepack"])("closes one connection with its reason; the %s client sees it", async (protocol) => {
    const server = await fixture.start();
    const client = await fixture.connect(server, "chat", { protocol });
    expect(await status(fixture.rest(server, "DELETE", `/api/hubs/chat/connections/${client.connectionId}?reason=${encodeURIComponent("bye now")}`))).toBe(200);
    await until(() => (client.closes.length === 1 ? true : undefined));
    expect(client.closes[0]?.message).toBe("Server returned an error on close: bye now");
    expect(await server.service.connectionExists("signalr:chat", client.connectionId)).toBe(false);
  });

  it("reconnects an auto-reconnecting client after a REST close (allowReconnect)", async () => {
    const server = await fixture.start();
    const client = await fixture.connect(server, "chat", { userId: "gail", reconnect: true });
    const first = client.connectionId;
    expect(await status(fixture.rest(server, "DELETE", `/api/hubs/chat/connections/${first}?reason=maintenance`))).toBe(200);
    await until(() => (client.reconnected.length === 1 ? true : undefined));
    expect(client.reconnecting.map((e) => e?.message)).toEqual(["Server returned an error on close: maintenance"]);
    expect(client.reconnected[0]).not.toBe(first);
    expect(await server.service.connectionExists("signalr:chat", client.reconnected[0]!)).toBe(true);
    expect(await server.service.connectionExists("signalr:chat", first)).toBe(false);
  });

  it("closes all, a group's and a user's connections, honouring excluded", async () => {
    const server = await fixture.start();
    const a = await fixture.connect(server, "chat", { userId: "a" });
    const b = await fixture.connect(server, "chat", { userId: "b" });
    const c = await fixture.connect(server, "chat", { userId: "c", protocol: "messagepack" });
    const d = await fixture.connect(server, "chat", { userId: "d" });
    await fixture.rest(server, "PUT", `/api/hubs/chat/groups/g/connections/${b.connectionId}`);
    await fixture.rest(server, "PUT", `/api/hubs/chat/groups/g/connections/${c.connectionId}`);
    expect(await status(fixture.rest(server, "POST", `/api/hubs/chat/groups/g/:closeConnections?excluded=${c.connectionId}&reason=group`))).toBe(204);
    await until(() => (b.closes.length === 1 ? true : undefined));
    expect(await status(fixture.rest(server, "POST", "/api/hubs/chat/users/a/:closeConnections?reason=user"))).toBe(204);
    await until(() => (a.closes.length === 1 ? true : undefined));
    expect(c.closes.length + d.closes.length).toBe(0);
    expect(await status(fixture.rest(server, "POST", `/api/hubs/chat/:closeConnections?excluded=${d.connectionId}&reason=all`))).toBe(204);
    await until(() => (c.closes.length === 1 ? true : undefined));
    expect([a, b, c].map((x) => x.closes[0]?.message)).toEqual([
      "Server returned an error on close: user",
      "Server returned an error on close: group",
      "Server returned an error on close: all",
    ]);
    expect(d.closes).toEqual([]);
  });
});

describe("REST paths, bodies and errors", () => {
  it("serves the /api/v1 aliases (sends without :send)", async () => {
    const server = await fixture.start();
    const a = await fixture.connect(server, "chat", { userId: "a" });
    const b = await fixture.connect(server, "chat", { userId: "b" });
    await fixture.rest(server, "PUT", `/api/v1/hubs/chat/groups/g/connections/${b.connectionId}`);
    expect(await status(fixture.rest(server, "POST", "/api/v1/hubs/chat", { target: "message", arguments: ["all"] }))).toBe(202);
    expect(await status(fixture.rest(server, "POST", "/api/v1/hubs/chat/users/a", { target: "message", arguments: ["user"] }))).toBe(202);
    expect(await status(fixture.rest(server, "POST", "/api/v1/hubs/chat/groups/g", { target: "message", arguments: ["group"] }))).toBe(202);
    expect(await status(fixture.rest(server, "POST", `/api/v1/hubs/chat/connections/${a.connectionId}`, { target: "message", arguments: ["conn"] }))).toBe(202);
    await expectDelivered([[a, 3], [b, 2]]);
    expect(a.received.map((r) => r.args[0])).toEqual(["all", "user", "conn"]);
    expect(b.received.map((r) => r.args[0])).toEqual(["all", "group"]);
  });

  it("prefixes the hub with the application, as the SDKs' `application` option does for clients and REST", async () => {
    const server = await fixture.start();
    const inApp = await fixture.connect(server, "shop_chat"); // the client URL's hub is {app}_{hub}
    const plain = await fixture.connect(server, "chat");
    expect((await fixture.rest(server, "POST", "/api/hubs/chat/:send?application=Shop", { target: "message", arguments: ["app"] })).status).toBe(202);
    await expectDelivered([[inApp, 1], [plain, 0]]);
    expect((await fixture.rest(server, "POST", "/api/hubs/chat/:send?application=9bad", { target: "message", arguments: [] })).status).toBe(400);
  });

  it("takes a chunked body with no Content-Length, as the .NET SDK sends it", async () => {
    const server = await fixture.start();
    const a = await fixture.connect(server, "chat");
    const path = "/api/hubs/chat/:send";
    const statusCode = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${server.url}${path}?api-version=2022-06-01`, {
        method: "POST",
        headers: { authorization: `Bearer ${restToken(path)}`, "content-type": "application/json; charset=utf-8" },
      });
      req.on("response", (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      req.write('{"Target":"message",');
      req.end('"Arguments":["chunked"]}');
    });
    expect(statusCode).toBe(202);
    await expectDelivered([[a, 1]]);
    expect(a.received[0]!.args).toEqual(["chunked"]);
  });

  it.each([
    ["no target", { arguments: [1] }, 400, "Error.InvalidRequestBody"],
    ["arguments not an array", { target: "m", arguments: "x" }, 400, "Error.InvalidRequestBody"],
    ["not JSON", "{nope", 400, "Error.InvalidRequestBody"],
  ])("answers a body with %s with an ErrorDetail", async (_name, body, code, errorCode) => {
    const server = await fixture.start();
    const response = await fixture.rest(server, "POST", "/api/hubs/chat/:send", body);
    expect(response.status).toBe(code);
    expect(response.headers.get("x-ms-error-code")).toBe(errorCode);
    expect(await response.json()).toEqual({ code: errorCode, message: expect.any(String) });
  });

  it("refuses bodies over the limit with 413 (1 MB by default, configurable), announced or chunked", async () => {
    const server = await fixture.start({ maxRestBodyBytes: 1000 });
    const big = JSON.stringify({ target: "m", arguments: ["x".repeat(1000)] });
    const announced = await fixture.rest(server, "POST", "/api/hubs/chat/:send", big);
    expect(announced.status).toBe(413);
    expect(await announced.json()).toEqual({ code: "Error.PayloadTooLarge", message: "The request body is larger than 1000 bytes." });
    const path = "/api/hubs/chat/:send";
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${server.url}${path}`, { method: "POST", headers: { authorization: `Bearer ${restToken(path)}`, "content-type": "application/json" } });
      req.on("response", (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      for (let i = 0; i < 10; i++) req.write("x".repeat(200));
      req.end();
    });
    expect(chunked).toBe(413);
    const defaults = await fixture.start();
    const justOver = await fixture.rest(defaults, "POST", "/api/hubs/chat/:send", JSON.stringify({ target: "m", arguments: ["y".repeat(1024 * 1024)] }));
    expect(justOver.status).toBe(413);
  });

  it.each([
    ["no token", undefined],
    ["a token for another path", `Bearer ${restToken("/api/hubs/other/:send")}`],
    ["a token signed with another key", `Bearer ${restToken("/api/hubs/chat/:send", "other-key")}`],
    ["an expired token", `Bearer ${restToken("/api/hubs/chat/:send", undefined, { expiresIn: -3600 })}`],
  ])("answers 401 to %s", async (_name, authorization) => {
    const server = await fixture.start();
    const response = await fetch(`${server.url}/api/hubs/chat/:send?api-version=2022-06-01`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(authorization ? { authorization } : {}) },
      body: '{"target":"m","arguments":[]}',
    });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { code: string }).code).toBe("Error.Unauthorized");
  });

  it("accepts a REST aud with a port, with or without the query, in any case", async () => {
    const server = await fixture.start();
    const a = await fixture.connect(server, "chat");
    for (const aud of [`${server.url}/api/hubs/chat/:send?api-version=2022-06-01`, "http://localhost/API/HUBS/CHAT/:send", "https://proxy.example/api/hubs/chat/:send/"]) {
      const response = await fetch(`${server.url}/api/hubs/chat/:send?api-version=2022-06-01`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${signAud(aud)}` },
        body: '{"target":"message","arguments":[]}',
      });
      expect(response.status).toBe(202);
    }
    await expectDelivered([[a, 3]]);
  });

  it("answers unknown routes, bad methods, bad names and the octet-stream body clearly", async () => {
    const server = await fixture.start();
    const cases: Array<[string, string, unknown, number, string]> = [
      ["POST", "/api/hubs/chat/nothing/here", undefined, 404, "Error.RouteNotFound"],
      ["PATCH", "/api/hubs/chat/:send", undefined, 405, "Error.MethodNotAllowed"],
      ["POST", "/api/hubs/9chat/:send", { target: "m" }, 400, "Error.InvalidHubName"],
      ["PUT", `/api/hubs/chat/groups/${"g".repeat(1025)}/connections/c`, undefined, 400, "Error.InvalidGroupName"],
      ["PUT", "/api/hubs/chat/groups/%20%20/connections/c", undefined, 400, "Error.InvalidGroupName"],
      ["POST", "/api/hubs/chat/groups/%E0%A4%A/:send", undefined, 400, "Error.InvalidPathEncoding"],
    ];
    for (const [method, path, body, code, errorCode] of cases) {
      const response = await fixture.rest(server, method, path, body);
      expect([method, path.slice(0, 60), response.status, response.headers.get("x-ms-error-code")]).toEqual([method, path.slice(0, 60), code, errorCode]);
    }
    const octet = await fixture.rest(server, "POST", "/api/hubs/chat/:send", "x", { "content-type": "application/octet-stream" });
    expect(octet.status).toBe(415);
  });
});

function signAud(aud: string): string {
  return jwt.sign({ aud }, DEFAULT_ACCESS_KEY, { algorithm: "HS256", expiresIn: 60 });
}
