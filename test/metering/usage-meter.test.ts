import { describe, expect, it } from "vitest";
import { createUsageMeter } from "../../emulator/src/metering/usage-meter";
import { buildUsageReport } from "../../emulator/src/metering/usage-report";
import { mergeSnapshots } from "../../emulator/src/metering/usage-snapshot";

const KB = 1024;

function manualClock(iso: string) {
  let now = Date.parse(iso);
  return { now: () => now, set: (next: string) => (now = Date.parse(next)) };
}

describe("Azure's worked examples, as the core reports them", () => {
  it("an app server broadcasts 1 KB to 3 clients: 3 billed, the REST send free", () => {
    const meter = createUsageMeter();
    meter.inboundMessage("chat", "rest", KB);
    for (let i = 0; i < 3; i++) meter.outboundMessage("chat", "client", KB);
    const chat = buildUsageReport(meter.snapshot(), undefined).sinceStart.hubs.chat;
    expect(chat.inbound).toEqual({ messages: 1, bytes: KB, fromClients: 0, fromRest: 1 });
    expect(chat.outbound).toEqual({ messages: 3, bytes: 3 * KB, billedUnits: 3, toClients: 3, toUpstream: 0, signalrMessages: 3, trafficUnits: 2 });
  });

  it("client A sends 1 KB to client B without the app server: 1 billed", () => {
    const meter = createUsageMeter();
    meter.inboundMessage("chat", "client", KB);
    meter.outboundMessage("chat", "client", KB);
    const chat = buildUsageReport(meter.snapshot(), undefined).sinceStart.hubs.chat;
    expect(chat.inbound.fromClients).toBe(1);
    expect(chat.outbound.billedUnits).toBe(1);
    expect(chat.outbound.trafficUnits).toBe(1);
  });

  it("a client sends 4 KB that the app server broadcasts to 3 clients: 8 billed (2 upstream + 3 × 2)", () => {
    const meter = createUsageMeter();
    meter.inboundMessage("chat", "client", 4 * KB);
    meter.outboundMessage("chat", "upstream", 4 * KB);
    meter.inboundMessage("chat", "rest", 4 * KB);
    for (let i = 0; i < 3; i++) meter.outboundMessage("chat", "client", 4 * KB);
    const report = buildUsageReport(meter.snapshot(), undefined);
    expect(report.sinceStart.hubs.chat.outbound).toEqual({
      messages: 4,
      bytes: 16 * KB,
      billedUnits: 8,
      toClients: 3,
      toUpstream: 1,
      signalrMessages: 8,
      trafficUnits: 8,
    });
    expect(report.sinceStart.total.outbound.billedUnits).toBe(8);
  });
});

describe("connections", () => {
  it("tracks current and peak per hub and in total", () => {
    const meter = createUsageMeter();
    meter.connectionOpened("a");
    meter.connectionOpened("a");
    meter.connectionOpened("b");
    meter.connectionClosed("a");
    meter.connectionClosed("a");
    const report = buildUsageReport(meter.snapshot(), undefined).sinceStart;
    expect(report.hubs.a.connections).toEqual({ current: 0, peak: 2, opened: 2 });
    expect(report.hubs.b.connections).toEqual({ current: 1, peak: 1, opened: 1 });
    expect(report.total.connections).toEqual({ current: 1, peak: 3, opened: 3 });
  });
});

describe("per UTC day", () => {
  it("starts a new day at UTC midnight, carrying open connections over", () => {
    const clock = manualClock("2025-03-01T23:59:00.000Z");
    const meter = createUsageMeter({ now: clock.now });
    meter.connectionOpened("chat");
    meter.connectionOpened("chat");
    meter.outboundMessage("chat", "client", 3000);
    clock.set("2025-03-02T00:00:01.000Z");
    meter.connectionClosed("chat");
    meter.outboundMessage("chat", "client", 10);
    const report = buildUsageReport(meter.snapshot(), undefined);
    expect(report.today).toBe("2025-03-02");
    expect(Object.keys(report.perDay)).toEqual(["2025-03-01", "2025-03-02"]);
    expect(report.perDay["2025-03-01"].hubs.chat.outbound.billedUnits).toBe(2);
    expect(report.perDay["2025-03-01"].hubs.chat.connections).toEqual({ current: 2, peak: 2, opened: 2 });
    expect(report.perDay["2025-03-02"].hubs.chat.outbound.billedUnits).toBe(1);
    expect(report.perDay["2025-03-02"].hubs.chat.connections).toEqual({ current: 1, peak: 2, opened: 0 });
    expect(report.sinceStart.hubs.chat.outbound.billedUnits).toBe(3);
  });

  it("keeps only retainedDays days", () => {
    const clock = manualClock("2025-03-01T12:00:00.000Z");
    const meter = createUsageMeter({ now: clock.now, retainedDays: 2 });
    for (const day of ["2025-03-01", "2025-03-02", "2025-03-03"]) {
      clock.set(`${day}T12:00:00.000Z`);
      meter.outboundMessage("chat", "client", 1);
    }
    expect(Object.keys(meter.snapshot().days)).toEqual(["2025-03-02", "2025-03-03"]);
    expect(meter.snapshot().sinceStart.total.outbound.billedUnits).toBe(3);
  });
});

describe("cluster sum", () => {
  it("adds the counters of every node, per hub and per day, and recomputes the aggregate rule on the sum", () => {
    const clock = manualClock("2025-03-01T10:00:00.000Z");
    const first = createUsageMeter({ now: clock.now });
    const second = createUsageMeter({ now: clock.now });
    first.connectionOpened("chat");
    second.connectionOpened("chat");
    second.connectionOpened("other");
    first.outboundMessage("chat", "client", 1024);
    second.outboundMessage("chat", "client", 1024);
    const report = buildUsageReport(mergeSnapshots([first.snapshot(), second.snapshot()]), undefined);
    expect(report.nodes).toBe(2);
    expect(report.sinceStart.hubs.chat.connections.current).toBe(2);
    expect(report.sinceStart.hubs.other.connections.current).toBe(1);
    expect(report.sinceStart.total.connections.current).toBe(3);
    expect(report.sinceStart.hubs.chat.outbound).toMatchObject({ messages: 2, bytes: 2048, billedUnits: 2, trafficUnits: 1 });
    expect(report.perDay["2025-03-01"].total.outbound.billedUnits).toBe(2);
  });
});

describe("options", () => {
  it.each([
    [{ retainedDays: 0 }, "retainedDays must be a positive integer, got 0"],
    [{ quota: { tier: "premium" as "free" } }, 'tier must be "free" or "standard", got "premium"'],
    [{ quota: { tier: "free" as const, units: 2 } }, "the free tier allows at most 1 unit(s), got 2"],
    [{ quota: { tier: "standard" as const, units: 101 } }, "the standard tier allows at most 100 unit(s), got 101"],
    [{ quota: { tier: "standard" as const, units: 1.5 } }, "units must be a positive integer, got 1.5"],
  ])("rejects %j", (options, message) => {
    expect(() => createUsageMeter(options)).toThrow(message);
  });

  it.each([
    [{ tier: "free" as const }, { tier: "free", units: 1, maxConnections: 20, maxDailyMessages: 20_000 }],
    [{ tier: "standard" as const, units: 5 }, { tier: "standard", units: 5, maxConnections: 5000, maxDailyMessages: undefined }],
    [{ tier: "free" as const, maxConnections: 2, maxDailyMessages: 3 }, { tier: "free", units: 1, maxConnections: 2, maxDailyMessages: 3 }],
  ])("resolves %j to Azure's limits", (quota, limits) => {
    const meter = createUsageMeter({ quota });
    expect(meter.limits).toEqual(limits);
    expect(Object.isFrozen(meter.limits)).toBe(true);
  });
});

describe("tier quotas", () => {
  it("refuses the connection past the limit with 429 until one closes", () => {
    const meter = createUsageMeter({ quota: { tier: "free", maxConnections: 2 } });
    expect(meter.admitConnection("chat")).toBeUndefined();
    meter.connectionOpened("chat");
    meter.connectionOpened("other");
    expect(meter.admitConnection("chat")).toEqual({
      status: 429,
      code: "ConnectionQuotaExceeded",
      message: "Connection limit reached: the simulated free tier with 1 unit(s) allows 2 concurrent connections.",
    });
    meter.connectionClosed("other");
    expect(meter.admitConnection("chat")).toBeUndefined();
  });

  it("refuses messages once today's billed units reach the free daily limit, and admits again the next UTC day", () => {
    const clock = manualClock("2025-03-01T23:00:00.000Z");
    const meter = createUsageMeter({ now: clock.now, quota: { tier: "free", maxDailyMessages: 3 } });
    meter.outboundMessage("chat", "client", 4096);
    expect(meter.admitMessage("chat")).toBeUndefined();
    meter.outboundMessage("chat", "client", 1);
    expect(meter.admitMessage("chat")).toEqual({
      status: 429,
      code: "MessageQuotaExceeded",
      message: "Daily message limit reached: the simulated free tier allows 3 messages (2 KB units) per UTC day.",
    });
    clock.set("2025-03-02T00:00:00.000Z");
    expect(meter.admitMessage("chat")).toBeUndefined();
  });

  it("never limits messages on standard", () => {
    const meter = createUsageMeter({ quota: { tier: "standard" } });
    meter.outboundMessage("chat", "client", 1_000_000 * 2048);
    expect(meter.admitMessage("chat")).toBeUndefined();
  });

  it("admits everything without a quota", () => {
    const meter = createUsageMeter();
    for (let i = 0; i < 30; i++) meter.connectionOpened("chat");
    expect(meter.admitConnection("chat")).toBeUndefined();
    expect(meter.limits).toBeUndefined();
  });
});
