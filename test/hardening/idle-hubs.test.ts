/**
 * Hubs that come and go leave no state behind: a hub's registry entry goes with its last
 * connection, and the meter keeps the figures of at most `maxIdleHubs` idle hubs (100), so a
 * client that invents hub names cannot grow the registry or /metrics without bound.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { ServiceNode } from "../../emulator/src/node/service-node";
import { SignalRFixture } from "../signalr/support/signalr-fixture";
import { until } from "../support/until";

const fixture = new SignalRFixture();
afterEach(() => fixture.cleanup());

describe("hubs with no connections", () => {
  it("300 short-lived connections to 300 hubs leave no hub in the registry and at most 100 hubs in /metrics, however many rounds", async () => {
    const server = await fixture.start();
    const registry = (server.service as ServiceNode).registry;
    const hubsInMetrics = async (): Promise<number> => {
      const text = await (await fetch(`${server.url}/metrics`)).text();
      return new Set([...text.matchAll(/hub="([^"]+)"/g)].map((m) => m[1])).size;
    };
    const lineCounts: number[] = [];
    for (const round of [0, 1]) {
      for (let i = 0; i < 300; i += 10) {
        const clients = await Promise.all(Array.from({ length: 10 }, (_, k) => fixture.connect(server, `r${round}h${i + k}`)));
        await Promise.all(clients.map((client) => client.connection.stop()));
      }
      await until(() => (registry.hubCount === 0 ? true : undefined));
      expect(await hubsInMetrics()).toBe(100);
      lineCounts.push((await (await fetch(`${server.url}/metrics`)).text()).split("\n").length);
    }
    expect(lineCounts[1]).toBe(lineCounts[0]);
    // The totals keep every connection's count.
    const usage = (await (await fetch(`${server.url}/api/usage`)).json()) as { sinceStart: { total: { connections: { opened: number } }; hubs: Record<string, unknown> } };
    expect(usage.sinceStart.total.connections.opened).toBe(600);
    expect(Object.keys(usage.sinceStart.hubs)).toHaveLength(100);
  }, 60_000);
});
