import http from "node:http";
import type { AddressInfo } from "node:net";
import { HubConnectionBuilder, LogLevel, type HubConnection } from "@microsoft/signalr";
import { MessagePackHubProtocol } from "@microsoft/signalr-protocol-msgpack";
import jwt from "jsonwebtoken";
import { afterEach, describe, expect, it } from "vitest";
import { decodeHeaderText } from "../../common/header-text";
import { readUpstreamContext } from "../../shared/signalr/signalr-upstream-request";
import { until } from "../support/until";
import { startServiceProcess, TEST_ACCESS_KEY } from "./support/service-process";

// The SignalR face puts a client's user id, claims, query and method names into X-ASRS-* headers.
// Outside Latin-1 they used to make every upstream call fail (Node's fetch refuses the header):
// the app never heard of the connection, and invocations came back "could not be reached".
const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()!();
});

interface SeenRequest {
  event: string;
  userId: string | null;
  claims: string | undefined;
}

async function recordingUpstream(seen: SeenRequest[]): Promise<string> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      // The function app's own reader of these headers.
      const context = readUpstreamContext(new Headers(req.headers as Record<string, string>));
      const claims = req.headers["x-asrs-user-claims"];
      seen.push({ event: context.event, userId: context.userId, claims: typeof claims === "string" ? decodeHeaderText(claims) : undefined });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanup.push(() => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function clientToken(claims: Record<string, unknown>): string {
  return jwt.sign({ aud: "http://localhost/client/?hub=chat", ...claims }, TEST_ACCESS_KEY, { algorithm: "HS256", expiresIn: 600 });
}

async function connect(serviceUrl: string, token: string, protocol: "json" | "messagepack", received: unknown[][]): Promise<HubConnection> {
  let builder = new HubConnectionBuilder().withUrl(`${serviceUrl}/client/?hub=chat`, { accessTokenFactory: () => token }).configureLogging(LogLevel.None);
  if (protocol === "messagepack") builder = builder.withHubProtocol(new MessagePackHubProtocol());
  const connection = builder.build();
  connection.on("message", (...args: unknown[]) => received.push(args));
  await connection.start();
  cleanup.push(() => connection.stop().catch(() => {}));
  return connection;
}

describe("SignalR user ids, claims and method names outside Latin-1", () => {
  it.each(["json", "messagepack"] as const)("reach the upstream intact over %s; REST sends to the user and usage work; the service stays up", async (protocol) => {
    const seen: SeenRequest[] = [];
    const upstream = await recordingUpstream(seen);
    const service = await startServiceProcess(["--service", "signalr", "--event-handler", `chat=${upstream}/{hub}/{category}/{event}`]);
    cleanup.push(() => service.stop());

    const userMessages: unknown[][] = [];
    const bystanderMessages: unknown[][] = [];
    const user = await connect(service.url, clientToken({ "asrs.s.uid": "用户", 部门: "研发 😀" }), protocol, userMessages);
    const bystander = await connect(service.url, clientToken({ "asrs.s.uid": "bystander" }), "json", bystanderMessages);
    // With no body the upstream's answer is a void Completion: invoke resolves with no result.
    expect(await user.invoke("发送", "你好")).toBeUndefined();

    const rest = (method: string, path: string, body?: unknown) =>
      fetch(`${service.url}${path}?api-version=2022-06-01`, {
        method,
        headers: {
          authorization: `Bearer ${jwt.sign({ aud: `http://localhost${path}?api-version=2022-06-01` }, TEST_ACCESS_KEY, { algorithm: "HS256", expiresIn: 600 })}`,
          ...(body === undefined ? {} : { "content-type": "application/json; charset=utf-8" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const userPath = `/api/hubs/chat/users/${encodeURIComponent("用户")}`;
    expect((await rest("POST", `${userPath}/:send`, { target: "message", arguments: ["给你"] })).status).toBe(202);
    expect((await rest("HEAD", userPath)).status).toBe(200);
    await until(() => (userMessages.length > 0 ? true : undefined), 10_000);
    expect(userMessages).toEqual([["给你"]]);

    await user.stop();
    await until(() => (seen.some((r) => r.event === "disconnected") ? true : undefined), 10_000);
    const userClaims = "部门: 研发 😀";
    expect(seen.filter((r) => r.userId === "用户")).toEqual([
      { event: "connected", userId: "用户", claims: expect.stringContaining(userClaims) },
      { event: "发送", userId: "用户", claims: expect.stringContaining(userClaims) },
      { event: "disconnected", userId: "用户", claims: expect.stringContaining(userClaims) },
    ]);
    const usage = (await (await fetch(`${service.url}/api/usage`)).json()) as { sinceStart: { total: { connections: { opened: number } } } };
    expect(usage.sinceStart.total.connections.opened).toBe(2);
    expect(service.alive()).toBe(true);
    expect(bystander.state).toBe("Connected");
    expect(bystanderMessages).toEqual([]);
  }, 60_000);
});
