import type { UsageSnapshot } from "./usage-snapshot";

/** The per-connection limits that end a connection when passed. */
export type ConnectionLimit = "reliableBufferFull" | "outboundLimit" | "inboundLimit";

/** Why a quota refused something, as the service reports it to the caller. */
export interface QuotaRefusal {
  status: number;
  code: string;
  message: string;
}

/**
 * Where the service core reports traffic, for usage reporting, Prometheus metrics and tier
 * quotas. Counting rules live in the implementation, not at the call sites:
 * the core reports every event once, at the place it happens.
 */
export interface ServiceMeter {
  /** Asked before a client connection is accepted; a refusal fails the upgrade with its status. */
  admitConnection(hub: string): QuotaRefusal | undefined;
  /** Asked before an inbound message is processed (client frame or REST send). */
  admitMessage(hub: string): QuotaRefusal | undefined;
  connectionOpened(hub: string): void;
  connectionClosed(hub: string): void;
  /** Inbound, free: client → service or app → service (REST). */
  inboundMessage(hub: string, source: "client" | "rest", bytes: number): void;
  /** Outbound, billed: one call per recipient (a client) or per upstream request. Not for pings, pongs, acks or system messages. */
  outboundMessage(hub: string, target: "client" | "upstream", bytes: number): void;
  restLatency(operation: string, seconds: number): void;
  upstreamLatency(event: string, seconds: number): void;
  backplaneError(): void;
  /** A connection was closed because it passed one of its per-connection limits. */
  connectionOverLimit(hub: string, limit: ConnectionLimit): void;
  /**
   * This node's usage counters, JSON-serialisable: the node answers the backplane `usage`
   * query with it, and `/api/usage` sums the answers. Optional: `noMeter` has none.
   */
  snapshot?(): UsageSnapshot;
}

export const noMeter: ServiceMeter = {
  admitConnection: () => undefined,
  admitMessage: () => undefined,
  connectionOpened: () => {},
  connectionClosed: () => {},
  inboundMessage: () => {},
  outboundMessage: () => {},
  restLatency: () => {},
  upstreamLatency: () => {},
  backplaneError: () => {},
  connectionOverLimit: () => {},
};
