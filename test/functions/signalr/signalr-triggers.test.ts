import jwt from "jsonwebtoken";
import { beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../../scripts/free-port";
import { createBroadcastHandler } from "../../../functions/broadcast";
import { createNegotiateHandler } from "../../../functions/negotiate";
import { routes } from "../../../functions/routes";
import { createRealtimeServiceInfoHandler } from "../../../functions/realtime-service-info";
import { createSendHandler } from "../../../functions/send";
import { createUserHandler } from "../../../functions/user";
import { accessKey, connectionStringFor, invoke, makeDeps } from "../support/trigger-harness";

// A port freed a moment ago: the OS refuses the connection (ECONNREFUSED).
let closedEndpoint = "";
beforeAll(async () => {
  closedEndpoint = `http://127.0.0.1:${await freePort()}`;
});

/** SignalR settings against a port nothing listens on: every service call would fail, so a 4xx proves none was made. */
function signalRDeps(settings: Record<string, string> = {}) {
  return makeDeps({ RealtimeService: "signalr", AzureSignalRConnectionString: connectionStringFor(closedEndpoint), AllowedGroups: "*", ...settings });
}

const jwtSecret = "identity-provider-secret-of-32-bytes!";

describe("negotiate with RealtimeService=signalr", () => {
  it("answers POST and GET with the SignalR connection info { url, accessToken }, signed with the access key", async () => {
    const handler = createNegotiateHandler(signalRDeps({ SignalRHub: "Chat", TokenLifetimeMinutes: "15" }));
    for (const method of ["POST", "GET"]) {
      const result = await invoke(handler, { method, path: "/api/negotiate?userId=alice&negotiateVersion=1" });
      expect(result.status).toBe(200);
      const body = result.body as { url: string; accessToken: string };
      expect(Object.keys(body).sort()).toEqual(["accessToken", "url"]);
      expect(body.url).toBe(`${closedEndpoint}/client/?hub=chat`);
      const claims = jwt.verify(body.accessToken, accessKey, { algorithms: ["HS256"], audience: body.url }) as jwt.JwtPayload;
      expect(claims["asrs.s.uid"]).toBe("alice");
      expect(claims.exp! - claims.iat!).toBe(15 * 60);
      expect(jwt.decode(body.accessToken, { complete: true })?.header.alg).toBe("HS256");
    }
  });

  it("tolerates a reconnecting client's previous service token as a bearer and never takes it as the identity", async () => {
    const handler = createNegotiateHandler(signalRDeps());
    const first = await invoke(handler, { method: "POST", path: "/api/negotiate?userId=alice" });
    const previous = (first.body as { accessToken: string }).accessToken;
    const again = await invoke(handler, { method: "POST", path: "/api/negotiate?userId=bob", headers: { authorization: `Bearer ${previous}` } });
    expect(again.status).toBe(200);
    expect((jwt.decode((again.body as { accessToken: string }).accessToken) as jwt.JwtPayload)["asrs.s.uid"]).toBe("bob");
    const anonymous = await invoke(handler, { method: "POST", path: "/api/negotiate", headers: { authorization: `Bearer ${previous}` } });
    expect((jwt.decode((anonymous.body as { accessToken: string }).accessToken) as jwt.JwtPayload)["asrs.s.uid"]).toMatch(/^anon-[0-9a-f]{8}$/);
  });

  it("in jwt mode takes the user from the app's own bearer and refuses a service token as one", async () => {
    const handler = createNegotiateHandler(signalRDeps({ IdentityMode: "jwt", JwtSecret: jwtSecret, JwtIssuer: "https://idp.example", JwtAudience: "chat-app" }));
    const appToken = jwt.sign({ sub: "carol" }, jwtSecret, { algorithm: "HS256", issuer: "https://idp.example", audience: "chat-app", expiresIn: 60 });
    const ok = await invoke(handler, { method: "POST", path: "/api/negotiate?userId=mallory", headers: { authorization: `Bearer ${appToken}` } });
    expect(ok.status).toBe(200);
    const serviceToken = (ok.body as { accessToken: string }).accessToken;
    expect((jwt.decode(serviceToken) as jwt.JwtPayload)["asrs.s.uid"]).toBe("carol");
    const refused = await invoke(handler, { method: "POST", path: "/api/negotiate", headers: { authorization: `Bearer ${serviceToken}` } });
    expect(refused).toMatchObject({ status: 401, body: { code: "Unauthenticated", message: "Bearer token rejected: invalid signature." } });
  });

  it.each([
    ["?group=", "/api/negotiate?userId=a&group=lobby", "group"],
    ["?role=", "/api/negotiate?userId=a&role=webpubsub.sendToGroup.lobby", "role"],
  ])("refuses %s by name: a SignalR token carries no groups or roles", async (_name, path, option) => {
    const result = await invoke(createNegotiateHandler(signalRDeps({ AllowedRoles: "*" })), { path });
    expect(result).toMatchObject({ status: 400, body: { code: "UnsupportedOption", option } });
  });
});

describe("send and broadcast with RealtimeService=signalr refuse what SignalR cannot carry, before calling the service", () => {
  const post = (path: string, contentType: string, body: string) =>
    invoke(path.startsWith("/api/broadcast") ? createBroadcastHandler(signalRDeps()) : createSendHandler(signalRDeps()), { method: "POST", path, headers: { "content-type": contentType }, body });

  it.each([
    ["/api/broadcast?filter=userId%20eq%20'a'", "filter"],
    ["/api/send?group=g&filter=userId%20eq%20'a'", "filter"],
    ["/api/send?userId=a&messageTtlSeconds=10", "messageTtlSeconds"],
  ])("%s → 400 naming %s", async (path, option) => {
    const result = await post(path, "text/plain", "hi");
    expect(result.status).toBe(400);
    expect(result.body).toMatchObject({ code: "UnsupportedOption", option, message: expect.stringContaining(`?${option}= is not supported by Azure SignalR Service`) });
  });

  it("refuses a binary body with 415: hub invocations carry JSON arguments", async () => {
    const result = await post("/api/send?userId=a", "application/octet-stream", "raw");
    expect(result).toMatchObject({ status: 415, body: { code: "UnsupportedContentType", message: expect.stringContaining("not application/octet-stream") } });
  });

  it("refuses a target method that is not a name", async () => {
    const result = await post("/api/send?userId=a&target=new%20message", "text/plain", "hi");
    expect(result).toMatchObject({ status: 400, body: { code: "InvalidQuery" } });
  });

  it("reports an unreachable service as 502 ServiceUnreachable naming SignalR", async () => {
    const result = await post("/api/send?userId=a", "text/plain", "hi");
    expect(result).toMatchObject({
      status: 502,
      body: { code: "ServiceUnreachable", serviceCode: "ECONNREFUSED", message: `Azure SignalR Service at ${closedEndpoint} could not be reached (ECONNREFUSED).` },
    });
    const exists = await invoke(createUserHandler(signalRDeps()), { path: "/api/users/a", params: { userId: "a" } });
    expect(exists).toMatchObject({ status: 502, body: { code: "ServiceUnreachable" } });
  });
});

describe("the service kind is the app's, not the caller's", () => {
  it("registers the SignalR upstream (function key) and the service info (anonymous) in the one route table", () => {
    const mine = routes.filter((route) => ["signalrUpstream", "realtimeService"].includes(route.name));
    expect(mine.map(({ name, methods, route, authLevel }) => [name, methods.join("|"), route, authLevel])).toEqual([
      ["signalrUpstream", "POST", "signalr/{hub}/{category}/{event}", "function"],
      ["realtimeService", "GET", "realtime-service", "anonymous"],
    ]);
  });

  it("GET /api/realtime-service says which service and hub, from the settings", async () => {
    const signalR = makeDeps({ RealtimeService: "signalr", AzureSignalRConnectionString: connectionStringFor(closedEndpoint), SignalRHub: "room" });
    expect(await invoke(createRealtimeServiceInfoHandler(signalR), { path: "/api/realtime-service" })).toMatchObject({ status: 200, body: { service: "signalr", hub: "room" } });
    expect(await invoke(createRealtimeServiceInfoHandler(makeDeps()), { path: "/api/realtime-service" })).toMatchObject({ status: 200, body: { service: "webpubsub", hub: "chat" } });
  });

  it("Web PubSub refuses ?target= (a SignalR client method) by name", async () => {
    const result = await invoke(createSendHandler(makeDeps()), { method: "POST", path: "/api/send?userId=a&target=newMessage", headers: { "content-type": "text/plain" }, body: "hi" });
    expect(result).toMatchObject({ status: 400, body: { code: "UnsupportedOption", option: "target" } });
  });
});
