import jwt from "jsonwebtoken";
import type { HttpHandler } from "@azure/functions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ServiceServer } from "../../emulator/src/server";
import { createBroadcastHandler } from "../../functions/broadcast";
import { createConnectionHandler } from "../../functions/connection";
import { createGroupUserHandler } from "../../functions/group-user";
import { createNegotiateHandler } from "../../functions/negotiate";
import { createSendHandler } from "../../functions/send";
import type { TriggerDeps } from "../../functions/trigger-deps";
import { startService } from "./support/live-service";
import type { InvokeInit } from "./support/trigger-harness";
import { invoke, makeDeps } from "./support/trigger-harness";

const MiB = 1_048_576;
const jwtSecret = "identity-provider-secret-of-32-bytes!";
const claims = { sub: "dave", iss: "https://idp.example", aud: "chat-app" };
const now = Math.floor(Date.now() / 1000);
const unsignedToken = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString("base64url")}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.`;

let server: ServiceServer;
let deps: TriggerDeps;
let jwtDeps: TriggerDeps;

beforeAll(async () => {
  const policy = { AllowedGroups: "lobby", AllowedRoles: "webpubsub.joinLeaveGroup.lobby" };
  ({ server, deps } = await startService(policy));
  jwtDeps = makeDeps({ ...policy, WebPubSubConnectionString: server.connectionString, IdentityMode: "jwt", JwtSecret: jwtSecret, JwtIssuer: claims.iss, JwtAudience: claims.aud });
});
afterAll(async () => {
  await server.close();
});

type Trigger = "send" | "broadcast" | "negotiate" | "negotiateJwt" | "groupUser" | "connection";
const triggers: Record<Trigger, () => HttpHandler> = {
  send: () => createSendHandler(deps),
  broadcast: () => createBroadcastHandler(deps),
  negotiate: () => createNegotiateHandler(deps),
  negotiateJwt: () => createNegotiateHandler(jwtDeps),
  groupUser: () => createGroupUserHandler(deps),
  connection: () => createConnectionHandler(deps),
};

const text = (path: string, body = "hello"): InvokeInit => ({ method: "POST", path, headers: { "content-type": "text/plain" }, body });
const typed = (contentType: string, body: string | Uint8Array, extra: Record<string, string> = {}): InvokeInit => ({
  method: "POST",
  path: "/api/send?userId=u1",
  headers: { "content-type": contentType, ...extra },
  body,
});
const bearer = (token: string): InvokeInit => ({ path: "/api/negotiate", headers: { authorization: `Bearer ${token}` } });

describe("bad input gets its exact status and code", () => {
  it.each<[string, Trigger, InvokeInit, number, string | null]>([
    ["send without a target", "send", text("/api/send"), 400, "MissingTarget"],
    ["send with two targets", "send", text("/api/send?userId=u1&group=lobby"), 400, "TooManyTargets"],
    ["send with the same target twice", "send", text("/api/send?group=a&group=b"), 400, "TooManyTargets"],
    ["broadcast with a target", "broadcast", text("/api/broadcast?userId=u1"), 400, "InvalidQuery"],
    ["excluded on a user send", "send", text("/api/send?userId=u1&excluded=c1"), 400, "InvalidQuery"],
    ["a filter on a connection send", "send", text(`/api/send?connectionId=c1&filter=${encodeURIComponent("userId eq 'a'")}`), 400, "InvalidQuery"],
    ["bad JSON", "send", typed("application/json", "{ not json"), 400, "InvalidJson"],
    ["JSON that is not UTF-8", "send", typed("application/json", Uint8Array.from([0x22, 0xff, 0x22])), 400, "InvalidJson"],
    ["text that is not UTF-8", "send", typed("text/plain", Uint8Array.from([0xc3, 0x28])), 400, "InvalidText"],
    ["an empty body", "send", typed("text/plain", ""), 400, "EmptyBody"],
    ["the wrong content type", "send", typed("text/html", "<p>hi</p>"), 415, "UnsupportedContentType"],
    ["no content type", "broadcast", { method: "POST", path: "/api/broadcast", body: Buffer.from("hi") }, 415, "UnsupportedContentType"],
    ["a body of exactly 1 MiB", "send", typed("application/octet-stream", new Uint8Array(MiB)), 202, null],
    ["a body of 1 MiB + 1, streamed", "send", typed("application/octet-stream", new Uint8Array(MiB + 1)), 413, "PayloadTooLarge"],
    ["a declared Content-Length of 1 MiB + 1", "broadcast", { ...typed("text/plain", "x".repeat(MiB + 1), { "content-length": String(MiB + 1) }), path: "/api/broadcast" }, 413, "PayloadTooLarge"],
    ["an empty group", "send", text("/api/send?group="), 400, "InvalidGroupName"],
    ["a whitespace group", "send", text("/api/send?group=%20%09"), 400, "InvalidGroupName"],
    ["a group of 1025 characters", "send", text(`/api/send?group=${"g".repeat(1025)}`), 400, "InvalidGroupName"],
    ["an empty userId", "send", text("/api/send?userId="), 400, "InvalidUserId"],
    ["a userId with a control character", "send", text("/api/send?userId=a%00b"), 400, "InvalidUserId"],
    ["an empty connectionId", "send", text("/api/send?connectionId="), 400, "InvalidConnectionId"],
    ["an empty excluded connection", "send", text("/api/send?group=lobby&excluded="), 400, "InvalidConnectionId"],
    ["a TTL of 301", "send", text("/api/send?userId=u1&messageTtlSeconds=301"), 400, "InvalidTtl"],
    ["a negative TTL", "send", text("/api/send?userId=u1&messageTtlSeconds=-1"), 400, "InvalidTtl"],
    ["a fractional TTL", "broadcast", text("/api/broadcast?messageTtlSeconds=1.5"), 400, "InvalidTtl"],
    ["a TTL that is not a number", "send", text("/api/send?userId=u1&messageTtlSeconds=ten"), 400, "InvalidTtl"],
    ["a TTL of 300", "send", text("/api/send?userId=u1&messageTtlSeconds=300"), 202, null],
    ["a whitespace group in a route", "groupUser", { method: "PUT", path: "/api/groups/%20/users/u1", params: { group: " ", userId: "u1" } }, 400, "InvalidGroupName"],
    ["a close reason over 1024 characters", "connection", { method: "DELETE", path: `/api/connections/c1?reason=${"r".repeat(1025)}`, params: { connectionId: "c1" } }, 400, "InvalidQuery"],
    ["no bearer token", "negotiateJwt", { path: "/api/negotiate" }, 401, "Unauthenticated"],
    ["an expired bearer token", "negotiateJwt", bearer(jwt.sign({ ...claims, exp: now - 60 }, jwtSecret)), 401, "Unauthenticated"],
    ["a bearer token with a wrong signature", "negotiateJwt", bearer(jwt.sign(claims, "not-the-identity-provider-secret-xx")), 401, "Unauthenticated"],
    ["an alg none bearer token", "negotiateJwt", bearer(unsignedToken), 401, "Unauthenticated"],
    ["a valid bearer token", "negotiateJwt", bearer(jwt.sign(claims, jwtSecret, { expiresIn: 60 })), 200, null],
    ["a forbidden group", "negotiate", { path: "/api/negotiate?group=admins" }, 403, "GroupNotAllowed"],
    ["a forbidden role", "negotiate", { path: "/api/negotiate?group=lobby&role=webpubsub.sendToGroup" }, 403, "RoleNotAllowed"],
    ["an allowed group and role", "negotiate", { path: "/api/negotiate?group=lobby&role=webpubsub.joinLeaveGroup.lobby" }, 200, null],
  ])("%s", async (_name, trigger, init, status, code) => {
    const result = await invoke(triggers[trigger](), init);
    expect(result.status).toBe(status);
    if (code === null) expect(result.body).not.toHaveProperty("code");
    else expect(result.body).toMatchObject({ code, message: expect.stringMatching(/^\S.*\.$/s) });
  });

  it("refuses an oversized body with 413 before any service call (the service is down, yet no 502)", async () => {
    const down = makeDeps(); // points at a closed port
    const result = await invoke(createSendHandler(down), typed("application/octet-stream", new Uint8Array(MiB + 1)));
    expect(result).toMatchObject({ status: 413, body: { code: "PayloadTooLarge", message: "The body is larger than 1,048,576 bytes.", maxBytes: MiB } });
    const ok = await invoke(createSendHandler(down), typed("application/octet-stream", new Uint8Array(MiB)));
    expect(ok).toMatchObject({ status: 502, body: { code: "ServiceUnreachable" } });
  });
});
