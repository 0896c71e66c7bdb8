/**
 * A workload to plan for, either described (connections, rate, size, fan-out) or measured (the
 * local service's usage report, scaled to a day), and the one traffic profile both turn into.
 * Pure: no I/O.
 */
import type { UsageReport } from "@serverless-pubsub-kit/emulator";
import type { ThroughputScenario } from "./price-sheet";

/** Where each inbound message goes. */
export type Fanout =
  | { kind: "broadcast" }
  /** To one group of `members` connections. */
  | { kind: "group"; members: number }
  /** To one user (one connection) through the REST API, as a function app's send does. */
  | { kind: "user" };

export interface DescribedWorkload {
  kind: "described";
  /** Concurrent client connections. */
  connections: number;
  /** Inbound messages per second, all senders together. */
  messagesPerSecond: number;
  /** Payload bytes of each message. */
  sizeBytes: number;
  fanout: Fanout;
}

export interface MeasuredWorkload {
  kind: "measured";
  /** The body of the local service's `GET /api/usage`. */
  usage: Pick<UsageReport, "startedAt" | "takenAt" | "sinceStart" | "nodes">;
}

export type Workload = DescribedWorkload | MeasuredWorkload;

/** What the planner sizes for: rates per second and their daily bill, whatever the input was. */
export interface TrafficProfile {
  source: "described" | "measured";
  connections: number;
  /** Outbound deliveries per second (to clients and to upstream). */
  outboundPerSecond: number;
  /** Billed messages per second under the per-message rule: sum of ceil(bytes / 2048), at least 1 each. */
  billedPerSecond: number;
  billedMessagesPerDay: number;
  /** Web PubSub's billing doc read as aggregate traffic: all outbound bytes per day in 2 KB steps. */
  trafficUnitsPerDay: number;
  /** Inbound REST sends to a user per second (each one a REST call); 0 when unknown (measured). */
  restSendsPerSecond: number;
  /** Which per-unit outbound rate of the performance guides applies. */
  scenario: ThroughputScenario;
  /** Bytes of each message (described) or the average outbound message (measured); undefined with no traffic. */
  messageBytes: number | undefined;
  /** Seconds of traffic a measured profile was scaled from. */
  measuredSeconds?: number;
  /** One line saying what was assumed. */
  summary: string;
}

export const SECONDS_PER_DAY = 86_400;

/** Invalid described input; the message names the flag's meaning. */
export class WorkloadError extends Error {
  override readonly name = "WorkloadError";
}

function checkCount(name: string, value: number, min: number): void {
  if (!Number.isFinite(value) || value < min) throw new WorkloadError(`${name} must be a number >= ${min}, got ${value}`);
}

/** ceil(bytes / step), at least 1: one delivered message's billed count. */
export function billedPerMessage(bytes: number, stepBytes: number): number {
  return Math.max(1, Math.ceil(bytes / stepBytes));
}

const numberFormat = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });

function describedProfile(w: DescribedWorkload, stepBytes: number, smallGroupMaxMembers: number): TrafficProfile {
  checkCount("connections", w.connections, 0);
  if (!Number.isInteger(w.connections)) throw new WorkloadError(`connections must be a whole number, got ${w.connections}`);
  checkCount("messages per second", w.messagesPerSecond, 0);
  checkCount("size", w.sizeBytes, 0);
  if (!Number.isInteger(w.sizeBytes)) throw new WorkloadError(`size must be a whole number of bytes, got ${w.sizeBytes}`);
  let recipients: number;
  let scenario: ThroughputScenario;
  let restSendsPerSecond = 0;
  let where: string;
  switch (w.fanout.kind) {
    case "broadcast":
      recipients = w.connections;
      scenario = "broadcast";
      where = `broadcast to ${numberFormat.format(w.connections)} connections`;
      break;
    case "group":
      checkCount("group members", w.fanout.members, 1);
      if (!Number.isInteger(w.fanout.members)) throw new WorkloadError(`group members must be a whole number, got ${w.fanout.members}`);
      if (w.fanout.members > w.connections) throw new WorkloadError(`a group of ${w.fanout.members} members needs at least as many connections, got ${w.connections}`);
      recipients = w.fanout.members;
      scenario = w.fanout.members <= smallGroupMaxMembers ? "smallGroup" : "bigGroup";
      where = `to groups of ${numberFormat.format(w.fanout.members)} (${scenario === "smallGroup" ? "small" : "big"} groups)`;
      break;
    case "user":
      recipients = 1;
      scenario = "restSendToUser";
      restSendsPerSecond = w.messagesPerSecond;
      where = "to one user each, through the REST API";
      break;
    default: {
      const _never: never = w.fanout;
      return _never;
    }
  }
  const outboundPerSecond = w.messagesPerSecond * recipients;
  const billedPerSecond = outboundPerSecond * billedPerMessage(w.sizeBytes, stepBytes);
  return {
    source: "described",
    connections: w.connections,
    outboundPerSecond,
    billedPerSecond,
    billedMessagesPerDay: Math.round(billedPerSecond * SECONDS_PER_DAY),
    trafficUnitsPerDay: Math.ceil((outboundPerSecond * w.sizeBytes * SECONDS_PER_DAY) / stepBytes),
    restSendsPerSecond,
    scenario,
    messageBytes: w.sizeBytes,
    summary:
      `${numberFormat.format(w.messagesPerSecond)} message(s)/s of ${numberFormat.format(w.sizeBytes)} bytes ${where}: ` +
      `${numberFormat.format(outboundPerSecond)} deliveries/s`,
  };
}

/** A measured profile needs at least this much time to scale from, so a fresh service does not extrapolate one burst wildly. */
export const MIN_MEASURED_SECONDS = 1;

function measuredProfile(w: MeasuredWorkload, stepBytes: number): TrafficProfile {
  const { usage } = w;
  const started = Date.parse(usage.startedAt);
  const taken = Date.parse(usage.takenAt);
  if (!Number.isFinite(started) || !Number.isFinite(taken)) throw new WorkloadError("the usage report has no valid startedAt/takenAt");
  const seconds = Math.max(MIN_MEASURED_SECONDS, (taken - started) / 1000);
  const { connections, outbound } = usage.sinceStart.total;
  const scale = SECONDS_PER_DAY / seconds;
  return {
    source: "measured",
    connections: connections.peak,
    outboundPerSecond: outbound.messages / seconds,
    billedPerSecond: outbound.billedUnits / seconds,
    billedMessagesPerDay: Math.round(outbound.billedUnits * scale),
    trafficUnitsPerDay: Math.ceil((outbound.bytes * scale) / stepBytes),
    restSendsPerSecond: 0,
    // Measured traffic mixes every kind of send; the broadcast rate is the guides' general outbound figure.
    scenario: "broadcast",
    messageBytes: outbound.messages > 0 ? Math.round(outbound.bytes / outbound.messages) : undefined,
    measuredSeconds: seconds,
    summary:
      `measured over ${numberFormat.format(seconds)} s on ${usage.nodes} node(s): ${numberFormat.format(outbound.messages)} outbound messages, ` +
      `${numberFormat.format(outbound.billedUnits)} billed, peak ${numberFormat.format(connections.peak)} connections, scaled to a day`,
  };
}

/** Turns either kind of workload into the rates the planner sizes for. Throws `WorkloadError` on bad input. */
export function trafficProfile(workload: Workload, sheet: { billingStepBytes: number; smallGroupMaxMembers: number }): TrafficProfile {
  switch (workload.kind) {
    case "described":
      return describedProfile(workload, sheet.billingStepBytes, sheet.smallGroupMaxMembers);
    case "measured":
      return measuredProfile(workload, sheet.billingStepBytes);
    default: {
      const _never: never = workload;
      return _never;
    }
  }
}

/** Parses `broadcast`, `group:N` or `user`. */
export function parseFanout(text: string): Fanout {
  if (text === "broadcast") return { kind: "broadcast" };
  if (text === "user") return { kind: "user" };
  const group = /^group:(\d+)$/.exec(text);
  if (group) return { kind: "group", members: Number(group[1]) };
  throw new WorkloadError(`fanout must be broadcast, group:N (members per group) or user, got "${text}"`);
}
