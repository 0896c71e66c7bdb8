import jwt from "jsonwebtoken";
import { describe, expect, it } from "vitest";
import { createNegotiateHandler } from "../../functions/negotiate";
import { accessKey, connectionStringFor, invoke, makeDeps } from "./support/trigger-harness";

const endpoint = "http://localhost:8080";
const policy = {
  WebPubSubConnectionString: connectionStringFor(endpoint),
  WebPubSubHub: "chat",
  AllowedGroups: "lobby,room-*",
  AllowedRoles: "webpubsub.joinLeaveGroup.room-*,webpubsub.sendToGroup.lobby",
  DefaultGroups: "everyone",
  TokenLifetimeMinutes: "15",
};
const jwtSecret = "identity-provider-secret-of-32-bytes!";
const jwtSettings = { ...policy, IdentityMode: "jwt", JwtSecret: jwtSecret, JwtIssuer: "https://idp.example", JwtAudience: "chat-app", JwtUserIdClaim: "preferred_username" };

interface NegotiateBody {
  url: string;
  baseUrl: string;
  token: string;
  expiresOn: string;
}

describe("negotiate trigger", () => {
  it("issues a token whose claims the access key verifies: aud, sub, role, webpubsub.group, exp", async () => {
    const handler = createNegotiateHandler(makeDeps(policy));
    const before = Math.floor(Date.now() / 1000);
    const result = await invoke(handler, { path: "/api/negotiate?userId=alice&group=lobby&group=room-7&role=webpubsub.joinLeaveGroup.room-7&role=webpubsub.sendToGroup.lobby" });
    expect(result.status).toBe(200);
    expect(result.headers["cache-control"]).toBe("no-store");
    const body = result.body as NegotiateBody;
    expect(Object.keys(body).sort()).toEqual(["baseUrl", "expiresOn", "token", "url"]);
    expect(body.baseUrl).toBe("ws://localhost:8080/client/hubs/chat");
    expect(body.url).toBe(`ws://localhost:8080/client/hubs/chat?access_token=${body.token}`);
    const claims = jwt.verify(body.token, accessKey, { algorithms: ["HS256"], audience: "http://localhost:8080/client/hubs/chat" }) as jwt.JwtPayload;
    expect(claims.sub).toBe("alice");
    expect(claims.role).toEqual(["webpubsub.joinLeaveGroup.room-7", "webpubsub.sendToGroup.lobby"]);
    expect(claims["webpubsub.group"]).toEqual(["everyone", "lobby", "room-7"]);
    expect(claims.exp! - claims.iat!).toBe(15 * 60);
    expect(claims.iat).toBeGreaterThanOrEqual(before);
    expect(body.expiresOn).toBe(new Date(claims.exp! * 1000).toISOString());
    expect(() => jwt.verify(body.token, "another-key-entirely-another-key!!", { algorithms: ["HS256"] })).toThrow("invalid signature");
  });

  it("takes a userId outside Latin-1 (用户) as it is", async () => {
    const handler = createNegotiateHandler(makeDeps(policy));
    const result = await invoke(handler, { path: `/api/negotiate?userId=${encodeURIComponent("用户")}` });
    expect(result.status).toBe(200);
    expect((jwt.decode((result.body as NegotiateBody).token) as jwt.JwtPayload).sub).toBe("用户");
  });

  it("answers POST too, and generates a userId when the anonymous caller gives none", async () => {
    const handler = createNegotiateHandler(makeDeps({ WebPubSubConnectionString: connectionStringFor(endpoint) }));
    const result = await invoke(handler, { method: "POST", path: "/api/negotiate", body: "" });
    expect(result.status).toBe(200);
    const claims = jwt.decode((result.body as NegotiateBody).token) as jwt.JwtPayload;
    expect(claims.sub).toMatch(/^anon-[0-9a-f]{8}$/);
    expect(claims.role).toBeUndefined();
    expect(claims["webpubsub.group"]).toBeUndefined();
    expect(claims.exp! - claims.iat!).toBe(60 * 60);
  });

  it("takes the userId from App Service Authentication headers in easyauth mode: the provider and the stable principal id, never the name", async () => {
    const handler = createNegotiateHandler(makeDeps({ ...policy, IdentityMode: "easyauth" }));
    const principal = Buffer.from(JSON.stringify({ auth_typ: "aad", claims: [] })).toString("base64");
    const result = await invoke(handler, {
      path: "/api/negotiate?userId=mallory",
      headers: { "x-ms-client-principal": principal, "x-ms-client-principal-id": "0001", "x-ms-client-principal-name": "bob@contoso.com" },
    });
    expect(result.status).toBe(200);
    expect((jwt.decode((result.body as NegotiateBody).token) as jwt.JwtPayload).sub).toBe("aad:0001");
    // Two providers that both call their user "bob" give two users.
    const github = await invoke(handler, {
      path: "/api/negotiate",
      headers: { "x-ms-client-principal": principal, "x-ms-client-principal-idp": "github", "x-ms-client-principal-id": "0001", "x-ms-client-principal-name": "bob@contoso.com" },
    });
    expect((jwt.decode((github.body as NegotiateBody).token) as jwt.JwtPayload).sub).toBe("github:0001");
  });

  it("takes the userId from the configured claim of a verified bearer token in jwt mode", async () => {
    const handler = createNegotiateHandler(makeDeps(jwtSettings));
    const bearer = jwt.sign({ preferred_username: "carol" }, jwtSecret, { algorithm: "HS256", issuer: "https://idp.example", audience: "chat-app", subject: "id-3", expiresIn: 60 });
    const result = await invoke(handler, { path: "/api/negotiate?group=lobby", headers: { authorization: `Bearer ${bearer}` } });
    expect(result.status).toBe(200);
    expect((jwt.decode((result.body as NegotiateBody).token) as jwt.JwtPayload).sub).toBe("carol");
  });

  const now = Math.floor(Date.now() / 1000);
  const unsigned = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString("base64url")}.${Buffer.from(JSON.stringify({ preferred_username: "eve", iss: "https://idp.example", aud: "chat-app" })).toString("base64url")}.`;
  const sign = (payload: object, key = jwtSecret) => jwt.sign(payload, key, { algorithm: "HS256" });
  const good = { preferred_username: "dave", iss: "https://idp.example", aud: "chat-app", exp: now + 600 };
  it.each([
    ["no Authorization header", undefined, "Send an Authorization: Bearer <token> header."],
    ["a Basic header", "Basic ZGF2ZTpwdw==", "Send an Authorization: Bearer <token> header."],
    ["an expired token", `Bearer ${sign({ ...good, exp: now - 10 })}`, "Bearer token rejected: token expired."],
    ["a wrong signature", `Bearer ${sign(good, "some-other-secret-of-at-least-32-b")}`, "Bearer token rejected: invalid signature."],
    ["alg none", `Bearer ${unsigned}`, "Bearer token rejected: jwt signature is required."],
    ["a wrong issuer", `Bearer ${sign({ ...good, iss: "https://evil.example" })}`, "Bearer token rejected: jwt issuer invalid. expected: https://idp.example."],
    ["a wrong audience", `Bearer ${sign({ ...good, aud: "other" })}`, "Bearer token rejected: jwt audience invalid. expected: chat-app."],
    ["no userId claim", `Bearer ${sign({ iss: "https://idp.example", aud: "chat-app", sub: "x", exp: now + 600 })}`, 'Bearer token rejected: claim "preferred_username" is missing.'],
    ["a token without exp (it would never expire)", `Bearer ${sign({ preferred_username: "dave", iss: "https://idp.example", aud: "chat-app" })}`, "Bearer token rejected: it has no exp claim."],
    ["garbage", "Bearer not.a.jwt", "Bearer token rejected: invalid token."],
  ])("refuses %s with 401 Unauthenticated", async (_name, authorization, message) => {
    const handler = createNegotiateHandler(makeDeps(jwtSettings));
    const result = await invoke(handler, { path: "/api/negotiate", headers: authorization ? { authorization } : {} });
    expect(result).toMatchObject({ status: 401, body: { code: "Unauthenticated", message } });
  });

  it("refuses easyauth callers without the principal headers with 401", async () => {
    const handler = createNegotiateHandler(makeDeps({ ...policy, IdentityMode: "easyauth" }));
    const result = await invoke(handler, { path: "/api/negotiate", headers: { "x-ms-client-principal-name": "bob" } });
    expect(result).toEqual({
      status: 401,
      headers: {},
      logs: [],
      body: { code: "Unauthenticated", message: "Sign in first: the App Service Authentication headers (x-ms-client-principal, -id, -name) are missing." },
    });
  });

  it.each([
    ["a group outside the allow-list", "group=admins", 403, "GroupNotAllowed", 'Group "admins" is not in the allow-list (AllowedGroups).'],
    ["one forbidden group among allowed ones", "group=lobby&group=staff", 403, "GroupNotAllowed", 'Group "staff" is not in the allow-list (AllowedGroups).'],
    ["a role outside the allow-list", "role=webpubsub.joinLeaveGroup", 403, "RoleNotAllowed", 'Role "webpubsub.joinLeaveGroup" is not in the allow-list (AllowedRoles).'],
    ["a role for another group", "role=webpubsub.sendToGroup.room-1", 403, "RoleNotAllowed", 'Role "webpubsub.sendToGroup.room-1" is not in the allow-list (AllowedRoles).'],
    ["a role that is not a Web PubSub role", "role=admin", 400, "InvalidRole", 'Role "admin" is not a Web PubSub role (webpubsub.joinLeaveGroup[.<group>] or webpubsub.sendToGroup[.<group>]).'],
    ["an empty group", "group=", 400, "InvalidGroupName", 'Group name "" is not valid: a group name must be 1-1024 characters, not only whitespace, and not . or ..'],
    ["a whitespace group", "group=%20%20", 400, "InvalidGroupName", 'Group name "  " is not valid: a group name must be 1-1024 characters, not only whitespace, and not . or ..'],
    ["an empty userId", "userId=", 400, "InvalidUserId", 'userId "" is not valid: it must be 1-1024 characters without control characters, and not . or ..'],
    ["a group that is a dot segment", "group=..", 400, "InvalidGroupName", 'Group name ".." is not valid: a group name must be 1-1024 characters, not only whitespace, and not . or ..'],
    ["a userId that is a dot segment", "userId=.", 400, "InvalidUserId", 'userId "." is not valid: it must be 1-1024 characters without control characters, and not . or ..'],
    ["a userId with a control character", "userId=a%0Ab", 400, "InvalidUserId", 'userId "a\\nb" is not valid: it must be 1-1024 characters without control characters, and not . or ..'],
  ])("refuses %s", async (_name, query, status, code, message) => {
    const handler = createNegotiateHandler(makeDeps(policy));
    const result = await invoke(handler, { path: `/api/negotiate?${query}` });
    expect(result).toMatchObject({ status, body: { code, message } });
  });
});
