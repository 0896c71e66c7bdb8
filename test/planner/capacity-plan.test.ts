import { describe, expect, it } from "vitest";
import { planCapacity, type ServicePlan, type TierPlan } from "../../planner/capacity-plan";
import { PriceSheetError, resolvePriceSheet } from "../../planner/price-sheet";
import { parseFanout, trafficProfile, WorkloadError, type DescribedWorkload, type Fanout } from "../../planner/workload";

const sheet = resolvePriceSheet();

function plan(connections: number, messagesPerSecond: number, sizeBytes: number, fanout: Fanout = { kind: "broadcast" }, prices = sheet) {
  const workload: DescribedWorkload = { kind: "described", connections, messagesPerSecond, sizeBytes, fanout };
  return planCapacity(trafficProfile(workload, prices), prices);
}

/** A usage report from 2026-01-01T00:00Z to `takenAt`, with these totals. */
function usageOver(
  takenAt: string,
  nodes: number,
  connections: { current: number; peak: number; opened: number },
  outbound: { messages: number; bytes: number; billedUnits: number; toClients: number; toUpstream: number },
) {
  return {
    startedAt: "2026-01-01T00:00:00.000Z",
    takenAt,
    nodes,
    sinceStart: {
      total: {
        connections,
        inbound: { messages: 0, bytes: 0, fromClients: 0, fromRest: 0 },
        outbound: { ...outbound, signalrMessages: outbound.billedUnits, trafficUnits: Math.ceil(outbound.bytes / 2048) },
      },
      hubs: {},
    },
  };
}

function service(result: ReturnType<typeof plan>, id: "webpubsub" | "signalr"): ServicePlan {
  return result.services.find((s) => s.service === id)!;
}

function tier(result: ReturnType<typeof plan>, id: "webpubsub" | "signalr", sku: string): TierPlan {
  return service(result, id).tiers.find((t) => t.sku === sku)!;
}

describe("billed messages per day", () => {
  it.each([
    // connections, msg/s, bytes, fanout, billed per day
    [10_000, 1, 1024, "broadcast", 864_000_000],
    [10_000, 1, 2048, "broadcast", 864_000_000],
    [10_000, 1, 2049, "broadcast", 1_728_000_000],
    [10_000, 1, 4096, "broadcast", 1_728_000_000],
    [10_000, 1, 4097, "broadcast", 2_592_000_000],
    [10_000, 1, 0, "broadcast", 864_000_000],
    [100, 2, 100, "group:10", 1_728_000],
    [100, 2, 100, "user", 172_800],
    [3, 0, 1024, "broadcast", 0],
  ])("%i connections, %f msg/s of %i bytes, %s: %i", (connections, rate, bytes, fanout, perDay) => {
    const result = plan(connections, rate, bytes, parseFanout(fanout));
    expect(result.profile.billedMessagesPerDay).toBe(perDay);
    expect(service(result, "webpubsub").billedMessagesPerDay).toBe(perDay);
    expect(service(result, "signalr").billedMessagesPerDay).toBe(perDay);
  });

  it("2,049-byte messages cost exactly twice 2,048-byte ones, and only the 2,049 warns", () => {
    const at = plan(1000, 5, 2048);
    const over = plan(1000, 5, 2049);
    expect(over.profile.billedMessagesPerDay).toBe(2 * at.profile.billedMessagesPerDay);
    expect(service(at, "webpubsub").warnings.some((w) => w.includes("past a 2 KB step"))).toBe(false);
    expect(service(over, "webpubsub").warnings).toContain(
      "2,049-byte messages are 1 byte(s) past a 2 KB step: each costs 2 messages; 1 byte(s) less would cost 1 (50% less).",
    );
  });

  it("the aggregate reading counts bytes, so 1 KB messages give half", () => {
    expect(plan(10_000, 1, 1024).profile.trafficUnitsPerDay).toBe(432_000_000);
  });
});

describe("the issue's example: 1 KB broadcast once a second to 10,000 clients", () => {
  const result = plan(10_000, 1, 1024);
  it.each(["webpubsub", "signalr"] as const)("%s: 10 Standard units bound by connections, $870.10 a day", (id) => {
    const best = service(result, id).recommended!;
    expect(best).toMatchObject({ sku: "Standard_S1", units: 10, bindingLimit: "connections", includedMessagesPerDay: 10_000_000, extraMessagesPerDay: 854_000_000 });
    // 10 × $1.61 + 854 million extra × $1
    expect(best.costPerDay).toBe(870.1);
    expect(best.costPerMonth).toBe(26465.57);
    expect(tier(result, id, "Free_F1")).toMatchObject({ fits: false, bindingLimit: "dailyMessages" });
  });
  it("throughput: 10,000 deliveries/s is a third of 10 Web PubSub units and half of 10 SignalR units", () => {
    const wps = service(result, "webpubsub").recommended!.limits.find((l) => l.limit === "outboundThroughput")!;
    const sr = service(result, "signalr").recommended!.limits.find((l) => l.limit === "outboundThroughput")!;
    expect([wps.demand, wps.capacity, wps.unitsNeeded]).toEqual([10_000, 30_000, 4]);
    expect([sr.demand, sr.capacity, sr.unitsNeeded]).toEqual([10_000, 20_000, 5]);
  });
});

describe("tier boundaries", () => {
  it.each([
    // connections: Web PubSub Standard units (steps 1, 2, 5, 10, 20, 50, 100), SignalR Standard units (1-10, then tens)
    [1, 1, 1],
    [1000, 1, 1],
    [1001, 2, 2],
    [2001, 5, 3],
    [10_001, 20, 20],
    [100_000, 100, 100],
  ])("%i idle connections: %i Web PubSub units, %i SignalR units", (connections, wpsUnits, srUnits) => {
    const result = plan(connections, 0, 100);
    expect(tier(result, "webpubsub", "Standard_S1")).toMatchObject({ fits: true, units: wpsUnits, bindingLimit: "connections" });
    expect(tier(result, "signalr", "Standard_S1")).toMatchObject({ fits: true, units: srUnits, bindingLimit: "connections" });
  });

  it("100,001 connections: Standard and Premium_P1 stop at 100 units, Premium_P2 takes 200", () => {
    const result = plan(100_001, 0, 100);
    for (const id of ["webpubsub", "signalr"] as const) {
      expect(tier(result, id, "Standard_S1")).toEqual({
        fits: false, sku: "Standard_S1", name: "Standard", bindingLimit: "connections",
        reason: "100,001 connections is past the 100,000 of Standard at 100 units (then 429)",
      });
      expect(service(result, id).recommended).toMatchObject({ sku: "Premium_P2", units: 200, costPerDay: 400 });
    }
  });

  it("throughput binds when a few connections get many messages: 10 msg/s broadcast to 1,000", () => {
    const result = plan(1000, 10, 1024);
    expect(service(result, "webpubsub").recommended).toMatchObject({ sku: "Standard_S1", units: 5, bindingLimit: "outboundThroughput" });
    expect(service(result, "signalr").recommended).toMatchObject({ sku: "Standard_S1", units: 5, bindingLimit: "outboundThroughput" });
  });

  it("a 4 KB message counts twice against throughput, as in the guides' 2 KB figures", () => {
    expect(service(plan(1000, 10, 4096), "signalr").recommended).toMatchObject({ units: 10, bindingLimit: "outboundThroughput" });
  });

  it("REST sends to users bind at 180 (Web PubSub) and 200 (SignalR) per unit", () => {
    const result = plan(4000, 1000, 512, { kind: "user" });
    expect(service(result, "webpubsub").recommended).toMatchObject({ units: 10, bindingLimit: "restSendToUser" });
    expect(service(result, "signalr").recommended).toMatchObject({ units: 5, bindingLimit: "restSendToUser" });
  });

  it("small groups hit the routing ceiling no unit count lifts below SignalR's Premium_P2", () => {
    const result = plan(200_000, 16_000, 100, { kind: "group", members: 10 }); // 160,000 deliveries/s
    expect(tier(result, "webpubsub", "Standard_S1")).toMatchObject({ fits: false, bindingLimit: "outboundThroughput" });
    expect((tier(result, "webpubsub", "Standard_S1") as { reason: string }).reason).toBe(
      "160,000 messages/s is past the 150,000/s routing ceiling no number of Standard units lifts",
    );
    expect(service(result, "webpubsub").recommended).toBeUndefined();
    expect(service(result, "webpubsub").warnings).toContain("No tier fits this workload; see each tier's reason.");
    expect(service(result, "signalr").recommended).toMatchObject({ sku: "Premium_P2", units: 200 });
  });

  it("groups over 20 members are big groups, sized by the broadcast-like rate", () => {
    const result = plan(1000, 100, 100, { kind: "group", members: 21 }); // 2,100/s
    expect(result.profile.scenario).toBe("bigGroup");
    expect(service(result, "signalr").recommended).toMatchObject({ units: 2, bindingLimit: "outboundThroughput" });
  });

  it("warns past 70% of a limit", () => {
    const result = plan(750, 0, 100);
    expect(service(result, "webpubsub").warnings).toContain(
      "Standard × 1: the workload uses 75% of the connections (over 70%); plan for the next unit step.",
    );
    expect(service(plan(700, 0, 100), "webpubsub").warnings.filter((w) => w.includes("of the connections"))).toEqual([]);
  });
});

describe("Free tier: 20 connections, 20,000 messages a day", () => {
  it("20 connections and a light load fit Free at $0, recommended over Standard", () => {
    // 20 connections, 1 broadcast every 100 s: 17,280 billed a day
    const result = plan(20, 0.01, 100);
    expect(result.profile.billedMessagesPerDay).toBe(17_280);
    for (const id of ["webpubsub", "signalr"] as const) {
      expect(service(result, id).recommended).toMatchObject({ sku: "Free_F1", units: 1, costPerDay: 0, costPerMonth: 0 });
    }
  });

  it("21 connections do not", () => {
    expect(tier(plan(21, 0, 100), "webpubsub", "Free_F1")).toEqual({
      fits: false, sku: "Free_F1", name: "Free", bindingLimit: "connections",
      reason: "21 connections is past the 20 of Free at 1 unit (then 429)",
    });
  });

  it("20,000 billed messages a day fit; 20,001 do not", () => {
    const usage = (billed: number) =>
      usageOver("2026-01-02T00:00:00.000Z", 1, { current: 5, peak: 20, opened: 40 }, { messages: billed, bytes: billed * 10, billedUnits: billed, toClients: billed, toUpstream: 0 });
    const at = trafficProfile({ kind: "measured", usage: usage(20_000) }, sheet);
    expect(at.billedMessagesPerDay).toBe(20_000);
    expect(planCapacity(at, sheet).services[0]!.recommended).toMatchObject({ sku: "Free_F1" });
    const over = planCapacity(trafficProfile({ kind: "measured", usage: usage(20_001) }, sheet), sheet);
    expect(over.services[0]!.tiers[0]).toEqual({
      fits: false, sku: "Free_F1", name: "Free", bindingLimit: "dailyMessages",
      reason: "20,001 messages a day is past the 20,000 of Free (then 429)",
    });
    expect(over.services[0]!.recommended).toMatchObject({ sku: "Standard_S1", units: 1, costPerDay: 1.61 });
  });
});

describe("measured traffic", () => {
  it("scales the usage report's counters to a day", () => {
    const usage = usageOver("2026-01-01T00:01:00.000Z", 2, { current: 3, peak: 4, opened: 4 }, { messages: 4, bytes: 16_384, billedUnits: 8, toClients: 3, toUpstream: 1 });
    const profile = trafficProfile({ kind: "measured", usage }, sheet);
    expect(profile).toMatchObject({
      source: "measured", connections: 4, billedMessagesPerDay: 8 * 1440, trafficUnitsPerDay: 8 * 1440, messageBytes: 4096, measuredSeconds: 60,
    });
    expect(profile.summary).toBe("measured over 60 s on 2 node(s): 4 outbound messages, 8 billed, peak 4 connections, scaled to a day");
  });
});

describe("prices", () => {
  it("the built-in sheet names its sources and the date it was read", () => {
    expect(sheet.readOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(sheet.services.webpubsub.sources.length).toBeGreaterThan(0);
    expect(sheet.services.signalr.tiers.map((t) => t.sku)).toEqual(["Free_F1", "Standard_S1", "Premium_P1", "Premium_P2"]);
    expect(Object.isFrozen(sheet.services.signalr.tiers[1])).toBe(true);
  });

  it("a user's override changes only the fields it names (tiers matched by sku)", () => {
    const custom = resolvePriceSheet({ currency: "EUR", services: { webpubsub: { tiers: [{ sku: "Standard_S1", pricePerUnitDay: 2 }] } } });
    expect(custom.services.webpubsub.tiers[1]).toMatchObject({ sku: "Standard_S1", pricePerUnitDay: 2, connectionsPerUnit: 1000 });
    expect(custom.services.signalr.tiers[1]!.pricePerUnitDay).toBe(1.61);
    const result = plan(1000, 0, 100, { kind: "broadcast" }, custom);
    expect(service(result, "webpubsub").recommended).toMatchObject({ sku: "Standard_S1", costPerDay: 2 });
    expect(result.prices.currency).toBe("EUR");
  });

  it.each([
    [{ nearLimitRatio: 2 }, "nearLimitRatio must be at most 1, got 2"],
    [{ services: { signalr: { tiers: [{ sku: "Standard_S1", unitSteps: [5, 2] }] } } }, "services.signalr.tiers[1].unitSteps must be ascending"],
    [{ services: { webpubsub: { outboundPerUnitPerSecond: { broadcast: "fast" } } } }, 'services.webpubsub.outboundPerUnitPerSecond.broadcast must be a number >= 1, got "fast"'],
    [{ services: { webpubsub: { tiers: [{ pricePerUnitDay: 1 }] } } }, "services.webpubsub.tiers[0] must be an object with a sku"],
    [[1], "the override must be a JSON object"],
  ])("a bad override is refused naming the field: %j", (override, message) => {
    expect(() => resolvePriceSheet(override)).toThrow(new PriceSheetError(message));
  });
});

describe("bad workloads", () => {
  it.each([
    [() => plan(-1, 1, 1), "connections must be a number >= 0, got -1"],
    [() => plan(1.5, 1, 1), "connections must be a whole number, got 1.5"],
    [() => plan(10, -1, 1), "messages per second must be a number >= 0, got -1"],
    [() => plan(10, 1, Number.NaN), "size must be a number >= 0, got NaN"],
    [() => plan(10, 1, 1, { kind: "group", members: 11 }), "a group of 11 members needs at least as many connections, got 10"],
    [() => parseFanout("everyone"), 'fanout must be broadcast, group:N (members per group) or user, got "everyone"'],
  ])("%#: %s", (run, message) => {
    expect(run).toThrow(new WorkloadError(message));
  });
});
