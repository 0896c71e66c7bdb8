import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import jwt from "jsonwebtoken";
import { afterEach, describe, expect, it } from "vitest";
import { createSignalRRestClient } from "../../../shared/signalr/signalr-rest-client";
import { hmacKey } from "../../../common/signing-key";
import { createSignalRTokenSigner } from "../../../shared/signalr/signalr-tokens";
import { accessKey } from "../support/trigger-harness";

const signer = createSignalRTokenSigner(hmacKey(accessKey));
const servers: http.Server[] = [];

/** A plain HTTP server standing in for the service's transport behaviour (slow, or counting sockets). */
async function listen(handler: http.RequestListener): Promise<{ endpoint: string; sockets: Set<unknown>; requests: http.IncomingMessage[] }> {
  const sockets = new Set<unknown>();
  const requests: http.IncomingMessage[] = [];
  const server = http.createServer((request, response) => {
    requests.push(request);
    handler(request, response);
  });
  server.on("connection", (socket) => sockets.add(socket));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  servers.push(server);
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, sockets, requests };
}

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
});

describe("the SignalR REST client's transport", () => {
  it("signs each call for its own URL and sends the hub lowercased with api-version", async () => {
    const { endpoint, requests } = await listen((_request, response) => response.writeHead(202).end());
    const call = createSignalRRestClient({ endpoint, signer }).forHub("Chat");
    expect(await call({ method: "POST", path: "/groups/a%20b/:send", query: [["excluded", "c1"], ["excluded", "c2"]], body: { target: "t", arguments: [1] } })).toEqual({ status: 202, errorCode: null });
    const [request] = requests;
    expect(request.url).toBe("/api/hubs/chat/groups/a%20b/:send?api-version=2022-06-01&excluded=c1&excluded=c2");
    expect(request.headers["content-type"]).toBe("application/json; charset=utf-8");
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? "")?.[1] ?? "";
    const claims = jwt.verify(token, accessKey, { algorithms: ["HS256"] }) as jwt.JwtPayload;
    expect(claims.aud).toBe(`${endpoint}api/hubs/chat/groups/a%20b/:send?api-version=2022-06-01`);
  });

  it("gives a service that does not answer in time as ServiceUnreachable (Timeout)", async () => {
    const { endpoint } = await listen(() => undefined);
    const call = createSignalRRestClient({ endpoint, signer, timeoutMs: 200 }).forHub("chat");
    await expect(call({ method: "HEAD", path: "/users/a" })).rejects.toMatchObject({ code: "ServiceUnreachable", details: { serviceCode: "Timeout" } });
  });

  it("maps an error answer to ServiceError with the x-ms-error-code, and keeps 404 for the caller to judge", async () => {
    const { endpoint } = await listen((request, response) => {
      if (request.method === "HEAD") return void response.writeHead(404, { "x-ms-error-code": "Warning.User.NotExisted" }).end();
      response.writeHead(400, { "content-type": "application/json", "x-ms-error-code": "Error.Request.Invalid" }).end('{"code":"BadRequest","message":"nope"}');
    });
    const call = createSignalRRestClient({ endpoint, signer }).forHub("chat");
    expect(await call({ method: "HEAD", path: "/users/a" })).toEqual({ status: 404, errorCode: "Warning.User.NotExisted" });
    await expect(call({ method: "POST", path: "/:send", body: {} })).rejects.toMatchObject({
      code: "ServiceError",
      message: "Azure SignalR Service answered 400 Error.Request.Invalid: nope",
      details: { serviceStatus: 400, serviceCode: "Error.Request.Invalid" },
    });
  });

  it("keeps at most maxSockets sockets open: a burst of calls queues on them", async () => {
    const { endpoint, sockets } = await listen((_request, response) => setTimeout(() => response.writeHead(202).end(), 20));
    const rest = createSignalRRestClient({ endpoint, signer, maxSockets: 3 });
    const calls = ["a", "b"].flatMap((hub) => Array.from({ length: 10 }, () => rest.forHub(hub)({ method: "POST", path: "/:send", body: {} })));
    expect((await Promise.all(calls)).every((response) => response.status === 202)).toBe(true);
    expect(sockets.size).toBe(3);
  });
});
