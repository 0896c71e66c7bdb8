/**
 * The function app's service client reuses its connections to the service (keep-alive) and
 * bounds them: counted at a TCP proxy in front of the real local service.
 */
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createServer, type ServiceServer } from "../../emulator/src/server";
import { maxServiceConnections } from "../../shared/limits";
import { createServiceClient } from "../../shared/service-client";
import { TcpSwitch } from "../support/tcp-switch";
import { connectionStringFor, makeDeps } from "./support/trigger-harness";

let server: ServiceServer;
let proxy: TcpSwitch;

beforeAll(async () => {
  server = await createServer({ port: 0 });
  proxy = new TcpSwitch(server.port);
  await proxy.listen();
});
afterAll(async () => {
  await proxy.close();
  await server.close();
});

describe("connections from the function app to the service", () => {
  it("one connection carries many calls in a row", async () => {
    const service = createServiceClient(makeDeps({ WebPubSubConnectionString: connectionStringFor(`http://127.0.0.1:${proxy.port}`) }).config);
    const before = proxy.accepted;
    for (let i = 0; i < 20; i++) await service.sendToUser("nobody", { n: i });
    expect(proxy.accepted - before).toBe(1);
  });

  it("a burst opens at most maxServiceConnections connections, and every call succeeds", async () => {
    const service = createServiceClient(makeDeps({ WebPubSubConnectionString: connectionStringFor(`http://127.0.0.1:${proxy.port}`) }).config);
    const before = proxy.accepted;
    const calls = maxServiceConnections * 3;
    const results = await Promise.allSettled(Array.from({ length: calls }, (_, i) => service.sendToAll({ n: i })));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(calls);
    const opened = proxy.accepted - before;
    expect(opened).toBeGreaterThan(0);
    expect(opened).toBeLessThanOrEqual(maxServiceConnections);
    // The burst's connections are then reused: another burst opens none.
    const again = proxy.accepted;
    await Promise.all(Array.from({ length: opened }, (_, i) => service.sendToAll({ n: i })));
    expect(proxy.accepted - again).toBe(0);
  });

  it("every connection to the service is opened with Nagle's algorithm off", async () => {
    const service = createServiceClient(makeDeps({ WebPubSubConnectionString: connectionStringFor(`http://127.0.0.1:${proxy.port}`) }).config);
    const opened = vi.spyOn(http.Agent.prototype, "createConnection");
    try {
      await Promise.all(Array.from({ length: 4 }, (_, i) => service.sendToUser("nobody", { n: i })));
      const toService = opened.mock.calls.map(([options]) => options as { port?: number | string; noDelay?: boolean }).filter((options) => Number(options.port) === proxy.port);
      expect(toService.length).toBeGreaterThan(0);
      expect(toService.every((options) => options.noDelay === true)).toBe(true);
    } finally {
      opened.mockRestore();
    }
  });
});
