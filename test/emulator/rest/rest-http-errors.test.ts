import http from "node:http";
import jwt from "jsonwebtoken";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { noMeter, type QuotaRefusal, type ServiceMeter } from "../../../emulator/src/metering/service-meter";
import { createServer, type ServiceServer } from "../../../emulator/src/server";
import { JsonClient } from "./support/json-client";

const KEY = "rest-error-tests-key-rest-error-tests-key";
const LIMIT = 64;
let server: ServiceServer;
const meterCalls: string[] = [];
let refusal: QuotaRefusal | undefined;
const meter: ServiceMeter = {
  ...noMeter,
  admitMessage: (hub) => {
    meterCalls.push(`admit ${hub}`);
    return refusal;
  },
  inboundMessage: (hub, source, bytes) => meterCalls.push(`inbound ${hub} ${source} ${bytes}`),
  restLatency: (operation, seconds) => meterCalls.push(`latency ${operation} ${seconds >= 0 && seconds < 10}`),
};

beforeAll(async () => {
  server = await createServer({ port: 0, accessKey: KEY, maxRestBodyBytes: LIMIT, meter });
});
afterAll(async () => {
  await server.close();
});

function token(path: string, key = KEY): string {
  return jwt.sign({}, key, { audience: `${server.url}${path}`, expiresIn: "1h", algorithm: "HS256" });
}

async function call(method: string, path: string, init: { body?: string; contentType?: string; auth?: string | null } = {}) {
  const headers: Record<string, string> = {};
  if (init.auth !== null) headers.authorization = init.auth ?? `Bearer ${token(path)}`;
  if (init.contentType) headers["content-type"] = init.contentType;
  const res = await fetch(`${server.url}${path}`, { method, headers, body: init.body });
  const text = await res.text();
  return { status: res.status, errorCode: res.headers.get("x-ms-error-code"), body: text === "" ? undefined : (JSON.parse(text) as unknown) };
}

const SEND = "/api/hubs/hub1/:send?api-version=2024-12-01";

describe("REST errors over HTTP carry ErrorDetail bodies", () => {
  it.each<[string, string, string, { body?: string; contentType?: string; auth?: string | null }, number, string]>([
    ["no Authorization", "POST", SEND, { body: "{}", contentType: "application/json", auth: null }, 401, "MissingToken"],
    ["token signed with another key", "POST", SEND, { body: "{}", contentType: "application/json", auth: `Bearer ${jwt.sign({}, "other-key", { audience: "http://x" + SEND, expiresIn: "1h" })}` }, 401, "InvalidToken"],
    ["token for another URL", "POST", SEND, { body: "{}", contentType: "application/json", auth: `Bearer ${jwt.sign({}, KEY, { audience: "http://x/api/hubs/other/:send", expiresIn: "1h" })}` }, 401, "InvalidToken"],
    ["hub my-hub", "POST", "/api/hubs/my-hub/:send", { body: "{}", contentType: "application/json" }, 400, "InvalidHubName"],
    ["empty group", "POST", "/api/hubs/hub1/groups//:send", { body: "{}", contentType: "application/json" }, 400, "InvalidGroupName"],
    ["whitespace group", "POST", "/api/hubs/hub1/groups/%20%20/:send", { body: "{}", contentType: "application/json" }, 400, "InvalidGroupName"],
    ["group of 1025 characters", "HEAD", `/api/hubs/hub1/groups/${"g".repeat(1025)}`, {}, 400, ""],
    ["messageTtlSeconds 301", "POST", `${SEND}&messageTtlSeconds=301`, { body: "{}", contentType: "application/json" }, 400, "InvalidQueryParameter"],
    ["bad filter", "POST", `${SEND}&filter=${encodeURIComponent("userId eq")}`, { body: "{}", contentType: "application/json" }, 400, "InvalidFilter"],
    ["invalid JSON", "POST", SEND, { body: "{nope", contentType: "application/json" }, 400, "InvalidJson"],
    ["unsupported content type", "POST", SEND, { body: "<a/>", contentType: "application/xml" }, 415, "UnsupportedMediaType"],
    ["maxpagesize 0", "GET", "/api/hubs/hub1/groups/g/connections?maxpagesize=0", {}, 400, "InvalidQueryParameter"],
    ["maxpagesize 201", "GET", "/api/hubs/hub1/groups/g/connections?maxpagesize=201", {}, 400, "InvalidQueryParameter"],
    ["top 0", "GET", "/api/hubs/hub1/groups/g/connections?top=0", {}, 400, "InvalidQueryParameter"],
    ["forged continuationToken", "GET", "/api/hubs/hub1/groups/g/connections?continuationToken=%2B%2B", {}, 400, "InvalidContinuationToken"],
    ["unknown permission", "PUT", "/api/hubs/hub1/permissions/admin/connections/c1", {}, 400, "InvalidPermission"],
    ["addToGroups without groups", "POST", "/api/hubs/hub1/:addToGroups", { body: '{"filter":"true"}', contentType: "application/json" }, 400, "InvalidRequestBody"],
    ["addToGroups as text", "POST", "/api/hubs/hub1/:addToGroups", { body: "x", contentType: "text/plain" }, 415, "UnsupportedMediaType"],
    ["unknown operation", "POST", "/api/hubs/hub1/:explode", {}, 404, "RouteNotFound"],
    ["wrong method", "GET", "/api/hubs/hub1/:send", {}, 405, "MethodNotAllowed"],
  ])("%s → %s %s", async (_name, method, path, init, status, code) => {
    const res = await call(method, path, init);
    expect(res.status).toBe(status);
    if (method === "HEAD") {
      expect(res.body).toBeUndefined();
      expect(res.errorCode).toBe("InvalidGroupName");
      return;
    }
    expect(res.errorCode).toBe(code);
    expect(res.body).toEqual({ code, message: expect.stringMatching(/^[A-Z].*\.$/) });
  });

  it("a body of exactly maxRestBodyBytes passes and one more byte is 413", async () => {
    const exact = JSON.stringify("x".repeat(LIMIT - 2));
    expect(Buffer.byteLength(exact)).toBe(LIMIT);
    expect((await call("POST", SEND, { body: exact, contentType: "application/json" })).status).toBe(202);
    const over = await call("POST", SEND, { body: JSON.stringify("x".repeat(LIMIT - 1)), contentType: "application/json" });
    expect(over).toEqual({ status: 413, errorCode: "PayloadTooLarge", body: { code: "PayloadTooLarge", message: `The request body is larger than ${LIMIT} bytes.` } });
  });

  it("a chunked upload is cut off with 413 once it passes the limit, and the service keeps serving", async () => {
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(`${server.url}/api/hubs/hub1/:send`, {
        method: "POST",
        headers: { authorization: `Bearer ${token("/api/hubs/hub1/:send")}`, "content-type": "text/plain", "transfer-encoding": "chunked" },
      });
      req.on("response", (r) => {
        let body = "";
        r.on("data", (c: Buffer) => (body += c.toString()));
        r.on("end", () => resolve({ status: r.statusCode ?? 0, body }));
      });
      req.on("error", reject);
      req.write("a".repeat(LIMIT));
      req.write("b");
    });
    expect(res).toEqual({ status: 413, body: JSON.stringify({ code: "PayloadTooLarge", message: `The request body is larger than ${LIMIT} bytes.` }) });
    expect((await call("POST", SEND, { body: "ok", contentType: "text/plain" })).status).toBe(202);
  });

  it("reports admitMessage, inbound bytes and latency to the meter, and a refusal becomes the response", async () => {
    meterCalls.length = 0;
    expect((await call("POST", "/api/hubs/metered/:send", { body: '"12345"', contentType: "application/json" })).status).toBe(202);
    expect(meterCalls).toEqual(["admit metered", "inbound metered rest 7", "latency sendToAll true"]);
    refusal = { status: 429, code: "QuotaExceeded", message: "The daily message quota is used up." };
    try {
      const refused = await call("POST", "/api/hubs/metered/users/u/:send", { body: "x", contentType: "text/plain" });
      expect(refused).toEqual({ status: 429, errorCode: "QuotaExceeded", body: { code: "QuotaExceeded", message: "The daily message quota is used up." } });
    } finally {
      refusal = undefined;
    }
    expect(meterCalls.slice(3)).toEqual(["admit metered", "latency sendToUser true"]);
  });
});

describe(":generateToken", () => {
  it("signs a client token like the SDK does, which the client endpoint accepts", async () => {
    const path = "/api/hubs/hub1/:generateToken?api-version=2024-12-01&userId=u%201&role=webpubsub.joinLeaveGroup&role=webpubsub.sendToGroup.g1&group=g1&group=g2&minutesToExpire=5";
    const res = await call("POST", path);
    expect(res.status).toBe(200);
    const { token: clientToken } = res.body as { token: string };
    const decoded = jwt.verify(clientToken, KEY, { algorithms: ["HS256"], complete: true });
    const payload = decoded.payload as jwt.JwtPayload;
    expect(decoded.header).toEqual({ alg: "HS256", typ: "JWT" });
    expect({ ...payload, iat: 0, exp: (payload.exp ?? 0) - (payload.iat ?? 0) }).toEqual({
      aud: `${server.url}/client/hubs/hub1`,
      sub: "u 1",
      role: ["webpubsub.joinLeaveGroup", "webpubsub.sendToGroup.g1"],
      "webpubsub.group": ["g1", "g2"],
      iat: 0,
      exp: 300,
    });
    const client = await JsonClient.connectUrl(`${server.url.replace("http", "ws")}/client/hubs/hub1?access_token=${clientToken}`);
    try {
      expect(client.frames[0]).toMatchObject({ type: "system", event: "connected", userId: "u 1" });
    } finally {
      client.close();
    }
  });

  it("issues an anonymous token with only iat, exp and aud, and the mqtt path for clientType=MQTT", async () => {
    const res = await call("POST", "/api/hubs/hub1/:generateToken?api-version=2024-12-01&clientType=MQTT");
    const payload = jwt.decode((res.body as { token: string }).token) as jwt.JwtPayload;
    expect(Object.keys(payload).sort()).toEqual(["aud", "exp", "iat"]);
    expect([payload.aud, (payload.exp ?? 0) - (payload.iat ?? 0)]).toEqual([`${server.url}/clients/mqtt/hubs/hub1`, 3600]);
  });
});
