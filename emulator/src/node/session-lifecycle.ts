import type { ConnectionLimit } from "../metering/service-meter";
import { createReconnectionToken } from "../auth/reconnection-token";
import type { ResolvedServiceOptions } from "../options";
import type { ClientSession } from "./client-session";
import type { HubRegistry } from "./hub-registry";
import type { SessionTransport } from "./session-transport";

/** Client close codes that mean "I am done" rather than "I lost the line" (no recovery wait). */
const FINAL_CLIENT_CLOSE_CODES = new Set([1000, 1001, 1005]);

/** WebSocket close reasons are limited to 123 bytes. */
export function closeReason(reason: string): string {
  const bytes = Buffer.from(reason, "utf8");
  return bytes.length <= 123 ? reason : bytes.subarray(0, 120).toString("utf8").replace(/\uFFFD$/, "");
}

const LIMIT_REASONS = {
  reliableBufferFull: "The reliable message buffer is full.",
  outboundLimit: "The client is not reading its messages fast enough.",
  inboundLimit: "Too many messages are waiting for the event handler.",
} as const;

export interface EndOptions {
  /** Send `disconnected` and close the socket (service-initiated end). */
  notifyClient: boolean;
  closeCode?: number;
}

/** What the node does at two moments of a session's life, beyond the lifecycle's own work. */
export interface LifecycleHooks {
  /** The session is ending for good, before it leaves its groups (its streams and subscriptions go). */
  ending(session: ClientSession): void;
  /** A reliable session was recovered on a new transport, after its `connected` frame and replay. */
  recovered(session: ClientSession): void;
}

const NO_HOOKS: LifecycleHooks = { ending: () => {}, recovered: () => {} };

/**
 * Opens, detaches, recovers and ends client sessions, and tells the meter and upstream.
 * The upstream `disconnected` event fires exactly once, when the session is finally gone.
 */
export class SessionLifecycle {
  constructor(
    private readonly options: ResolvedServiceOptions,
    private readonly registry: HubRegistry,
    private readonly hooks: LifecycleHooks = NO_HOOKS,
  ) {}

  open(session: ClientSession, transport: SessionTransport, initialGroups: readonly string[]): void {
    const hub = this.registry.getOrCreate(session.hub);
    hub.add(session);
    session.transport = transport;
    this.options.meter.connectionOpened(session.hub);
    if (session.adapter) {
      for (const group of initialGroups) hub.join(session, group);
      session.adapter.opened();
      return;
    }
    this.sendConnected(session);
    this.options.upstream.connected(session.upstreamConnection);
    // After `connected`, so the handler hears of the token's and connect's groups in that order.
    for (const group of initialGroups) hub.join(session, group);
  }

  /** Finds a session this node can recover; undefined when it is unknown or already gone. */
  findRecoverable(hub: string, connectionId: string): ClientSession | undefined {
    const session = this.registry.get(hub)?.connections.get(connectionId);
    return session && !session.ended && session.protocol === "reliable" ? session : undefined;
  }

  /** Reattaches a recovered transport and replays every unacked message with its original id. */
  recover(session: ClientSession, transport: SessionTransport): void {
    if (session.recoveryTimer !== undefined) this.options.clock.clearTimeout(session.recoveryTimer);
    session.recoveryTimer = undefined;
    const previous = session.transport;
    session.transport = transport;
    // A socket still open loses its session to the recovering one; it is told why, and 1008 keeps
    // it from recovering straight back.
    previous?.close(1008, "The connection was recovered on another socket.");
    this.sendConnected(session);
    for (const frame of session.outbox?.unacked() ?? []) transport.send(frame, false);
    this.hooks.recovered(session);
  }

  /** The transport closed on its own; reliable sessions wait for recovery unless the client said goodbye. */
  transportClosed(session: ClientSession, transport: SessionTransport, code: number): void {
    if (session.transport !== transport) return;
    session.transport = null;
    if (session.ended) return;
    if (session.protocol !== "reliable" || FINAL_CLIENT_CLOSE_CODES.has(code)) {
      this.end(session, `The client closed the connection (code ${code}).`, { notifyClient: false });
      return;
    }
    session.recoveryTimer = this.options.clock.setTimeout(() => {
      session.recoveryTimer = undefined;
      if (!session.attached) this.end(session, "The connection was lost and not recovered in time.", { notifyClient: false });
    }, this.options.recoveryWindowMs);
  }

  end(session: ClientSession, reason: string, how: EndOptions): void {
    if (session.ended) return;
    session.ended = true;
    if (session.recoveryTimer !== undefined) this.options.clock.clearTimeout(session.recoveryTimer);
    session.recoveryTimer = undefined;
    const transport = session.transport;
    if (session.adapter) {
      // The face decides how to end its client, attached or not (a Long Polling client has no
      // transport between polls, yet must learn that it was closed).
      session.adapter.close(reason, how);
    } else if (transport) {
      if (how.notifyClient) session.sendControl({ kind: "disconnected", message: reason });
      // A reliable client would try to recover from anything but 1008, and there is nothing to recover.
      transport.close(how.closeCode ?? (session.protocol === "reliable" ? 1008 : 1000), closeReason(reason));
    }
    this.hooks.ending(session);
    this.registry.get(session.hub)?.remove(session);
    this.registry.releaseIfEmpty(session.hub);
    this.options.meter.connectionClosed(session.hub);
    if (session.adapter) session.adapter.ended(reason);
    else this.options.upstream.disconnected(session.upstreamConnection, reason);
  }

  /**
   * Ends a session that passed one of its limits: close code 1008 (a reliable client must not
   * try to recover), a reason that names the limit, and one count in `/metrics`.
   */
  endOverLimit(session: ClientSession, limit: ConnectionLimit): void {
    if (session.ended) return;
    this.options.meter.connectionOverLimit(session.hub, limit);
    this.end(session, LIMIT_REASONS[limit], { notifyClient: true, closeCode: 1008 });
  }

  private sendConnected(session: ClientSession): void {
    session.sendControl({
      kind: "connected",
      userId: session.userId,
      connectionId: session.connectionId,
      ...(session.protocol === "reliable" ? { reconnectionToken: this.reconnectionToken(session) } : {}),
    });
  }

  private reconnectionToken(session: ClientSession): string {
    const expiresAt = Math.floor(this.options.clock.now() / 1000) + this.options.reconnectionTokenLifetimeSeconds;
    return createReconnectionToken(session.connectionId, this.options.accessKey, expiresAt);
  }

  /** Ends every session (server shutdown). */
  endAll(reason: string): void {
    for (const hub of this.registry.all()) for (const session of [...hub.connections.values()]) this.end(session, reason, { notifyClient: true, closeCode: 1001 });
  }
}
