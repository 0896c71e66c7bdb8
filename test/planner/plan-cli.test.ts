/**
 * `npm run plan` as users run it (a child process), described and measured: traffic goes through
 * the local service started from the command line, then the planner reads its usage meter, from
 * the CLI (`--measured`) and from the service's own `GET /api/usage/plan`.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { WebPubSubServiceClient } from "@azure/web-pubsub";
import { WebPubSubClient } from "@azure/web-pubsub-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MeasuredPlan } from "../../planner/measured-plan";
import { parsePlanArgs } from "../../planner/plan-args";
import { planSentence } from "../../planner/plan-text";
import { WorkloadError } from "../../planner/workload";
import { freePort } from "../../scripts/free-port";
import { startServiceCli, type RunningServiceCli } from "../support/service-cli";

const run = promisify(execFile);
const PLAN_CLI = join(__dirname, "../../planner/plan-cli.ts");

async function planCli(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", PLAN_CLI, ...args]);
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const failed = error as { stdout: string; stderr: string; code: number };
    return { stdout: failed.stdout, stderr: failed.stderr, code: failed.code };
  }
}

describe("npm run plan -- server connections of a default-mode SignalR app", () => {
  it("counts the billing doc's example, 2 app servers and 5 hubs, as 50 connections for SignalR Service only", async () => {
    const base = ["--connections", "950", "--messages-per-second", "1", "--size", "100", "--fanout", "group:10"];
    const { stdout, code } = await planCli([...base, "--app-servers", "2", "--hubs", "5", "--json"]);
    expect(code).toBe(0);
    const plan = JSON.parse(stdout) as { serverConnections: Record<string, number>; services: Array<{ service: string; recommended: { limits: Array<{ limit: string; demand: number }> } }> };
    expect(plan.serverConnections).toEqual({ appServers: 2, hubs: 5, perAppServerAndHub: 5, total: 50 });
    const connections = (id: string) => plan.services.find((s) => s.service === id)!.recommended.limits.find((l) => l.limit === "connections")!.demand;
    expect(connections("signalr")).toBe(1000);
    expect(connections("webpubsub")).toBe(950);
    const text = await planCli([...base, "--app-servers", "2", "--hubs", "5"]);
    expect(text.stdout).toContain(
      "Server connections: 2 app server(s) × 5 hub(s) × 5 = 50, counted toward Azure SignalR Service's connections (serverless mode, which this function app uses, has none).",
    );
    const serverless = await planCli(base);
    expect(serverless.stdout).toContain("Server connections: none (serverless mode, which this function app uses, opens none; --app-servers N --hubs H counts a default-mode app's).");
    expect((await planCli([...base, "--hubs", "3"])).code).toBe(1);
  });
});

describe("npm run plan -- described workload", () => {
  it("prints units, daily messages and cost for both services with the binding limit named", async () => {
    const { stdout, code } = await planCli(["--connections", "10000", "--messages-per-second", "1", "--size", "1024", "--fanout", "broadcast"]);
    expect(code).toBe(0);
    const lines = stdout.split("\n");
    expect(lines.slice(0, 2)).toEqual([
      "Workload: 10,000 connections; 1 message(s)/s of 1,024 bytes broadcast to 10,000 connections: 10,000 deliveries/s.",
      "Billed outbound messages per day: 864,000,000 (each delivery costs ceil(bytes / 2048), at least 1; both services).",
    ]);
    expect(lines).toContain("Azure Web PubSub: Standard (Standard_S1) × 10 unit(s), about $870.10/day, $26,465.57/month; binding limit: concurrent connections");
    expect(lines).toContain("Azure SignalR Service: Standard (Standard_S1) × 10 unit(s), about $870.10/day, $26,465.57/month; binding limit: concurrent connections");
  });

  it("--json gives the same plan as data, and --prices overrides a figure", async () => {
    const dir = await mkdtemp(join(tmpdir(), "plan-prices-"));
    try {
      const file = join(dir, "prices.json");
      await writeFile(file, JSON.stringify({ services: { signalr: { tiers: [{ sku: "Standard_S1", pricePerUnitDay: 3 }] } } }));
      const { stdout, code } = await planCli(["--connections", "2049", "--messages-per-second", "0", "--size", "2049", "--fanout", "group:100", "--json", "--prices", file]);
      expect(code).toBe(0);
      const plan = JSON.parse(stdout) as MeasuredPlan;
      expect(plan.profile).toMatchObject({ source: "described", connections: 2049, billedMessagesPerDay: 0, scenario: "bigGroup" });
      expect(plan.services.map((s) => [s.service, s.recommended?.sku, s.recommended?.units, s.recommended?.costPerDay])).toEqual([
        ["webpubsub", "Standard_S1", 5, 8.05],
        // Standard at $3 a unit now costs more than Premium at $2: the cheapest tier that fits wins.
        ["signalr", "Premium_P1", 3, 6],
      ]);
      const bad = join(dir, "bad.json");
      await writeFile(bad, JSON.stringify({ daysPerMonth: 0 }));
      const refused = await planCli(["--connections", "1", "--messages-per-second", "1", "--size", "1", "--prices", bad]);
      expect(refused.code).toBe(1);
      expect(refused.stderr.trim()).toBe(`${bad}: daysPerMonth must be a number >= 1, got 0`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("a bad flag gives one clear line, the usage and exit 1", async () => {
    const { stderr, code } = await planCli(["--connections", "many", "--messages-per-second", "1", "--size", "1"]);
    expect(code).toBe(1);
    expect(stderr.split("\n")[0]).toBe('--connections must be a non-negative number, got "many"');
    expect(stderr).toContain("Usage: npm run plan --");
  });
});

describe("plan flags", () => {
  it.each([
    [["--connections", "5", "--messages-per-second", "0.5", "--size", "10", "--fanout", "user"], { kind: "described", json: false, workload: { connections: 5, messagesPerSecond: 0.5, sizeBytes: 10, fanout: { kind: "user" } } }],
    [["--connections", "5", "--messages-per-second", "1", "--size", "10"], { kind: "described", workload: { fanout: { kind: "broadcast" } } }],
    [["--measured", "http://localhost:8080/api/usage", "--json"], { kind: "measured", serviceUrl: "http://localhost:8080", json: true }],
  ])("%j", (args, expected) => {
    expect(parsePlanArgs(args)).toMatchObject(expected);
  });

  it.each([
    [["--messages-per-second", "1", "--size", "1"], "--connections is required (or use --measured URL)"],
    [["--connections", "1.5", "--messages-per-second", "1", "--size", "1"], '--connections must be a whole number, got "1.5"'],
    [["--connections", "1", "--messages-per-second=-1", "--size", "1"], '--messages-per-second must be a non-negative number, got "-1"'],
    [["--connections", "1", "--messages-per-second", "1", "--size", "1", "--fanout", "group:x"], 'fanout must be broadcast, group:N (members per group) or user, got "group:x"'],
    [["--measured", "localhost"], '--measured must be the local service\'s URL, e.g. http://localhost:8080, got "localhost"'],
    [["--measured", "http://x", "--size", "3"], "--measured plans the service's own traffic; drop --size"],
  ])("%j is refused", (args, message) => {
    expect(() => parsePlanArgs(args)).toThrow(new WorkloadError(message));
  });
});

describe("measured: traffic through npm run emulator, then the plan", () => {
  let cli: RunningServiceCli;
  const clients: WebPubSubClient[] = [];

  beforeAll(async () => {
    cli = await startServiceCli(["--port", "0", "--quiet"]);
    const service = new WebPubSubServiceClient(cli.connectionString, "plan", { allowInsecureConnection: true });
    for (let i = 0; i < 3; i += 1) {
      const client = new WebPubSubClient({ getClientAccessUrl: async () => (await service.getClientAccessToken()).url }, { autoReconnect: false });
      await client.start();
      clients.push(client);
    }
    const received = clients.map((client) => new Promise((resolve) => client.on("server-message", resolve)));
    await service.sendToAll("x".repeat(4096), { contentType: "text/plain" }); // 3 deliveries × 2 = 6 billed
    await Promise.all(received);
  }, 30_000);

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.stop()));
    await cli.stop();
  });

  function expectMeasured(plan: MeasuredPlan): void {
    const { profile } = plan;
    expect(profile).toMatchObject({ source: "measured", connections: 3, messageBytes: 4096, scenario: "broadcast" });
    expect(profile.billedPerSecond * profile.measuredSeconds!).toBeCloseTo(6, 6);
    expect(profile.billedMessagesPerDay).toBe(Math.round((6 * 86_400) / profile.measuredSeconds!));
    expect(profile.summary).toMatch(/^measured over [\d.,]+ s on 1 node\(s\): 3 outbound messages, 6 billed, peak 3 connections, scaled to a day$/);
    for (const service of plan.services) expect(service.billedMessagesPerDay).toBe(profile.billedMessagesPerDay);
  }

  it("the page's sentence is the plan's own, and the service serves no plan itself (the planner is no part of it)", async () => {
    const { stdout, code } = await planCli(["--measured", cli.url, "--json"]);
    expect(code).toBe(0);
    const plan = JSON.parse(stdout) as MeasuredPlan;
    const perDay = new Intl.NumberFormat("en-US").format(plan.profile.billedMessagesPerDay);
    const wps = plan.services[0]!.recommended!;
    const sr = plan.services[1]!.recommended!;
    expect(planSentence(plan)).toBe(
      `At this rate for a day: ${perDay} billed messages; Azure Web PubSub: ${wps.units} ${wps.name} unit(s), about $${wps.costPerDay.toFixed(2)}/day; ` +
        `Azure SignalR Service: ${sr.units} ${sr.name} unit(s), about $${sr.costPerDay.toFixed(2)}/day.`,
    );
    expect((await fetch(`${cli.url}/api/usage/plan`)).status).toBe(404);
  });

  it("npm run plan -- --measured URL --json reads the same meter", async () => {
    const { stdout, code } = await planCli(["--measured", cli.url, "--json"]);
    expect(code).toBe(0);
    expectMeasured(JSON.parse(stdout) as MeasuredPlan);
  });

  it("an unreachable service is one line and exit 1", async () => {
    const port = await freePort();
    const { stderr, code } = await planCli(["--measured", `http://127.0.0.1:${port}`]);
    expect(code).toBe(1);
    expect(stderr.trim()).toBe(`cannot reach the local service at http://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`);
  });
});
