import { ConnectionPermissions } from "../auth/permissions";
import type { ProtocolKind } from "../protocol/client-message";
import { reliableFrame, serializeServerMessage, type ServerMessage } from "../protocol/server-message";
import type { UpstreamConnection } from "../upstream/upstream-dispatcher";
import { AckTracker } from "./ack-tracker";
import type { OutboundFrames } from "./outbound-frames";
import { ReliableOutbox } from "./reliable-outbox";
import type { SessionAdapter } from "./session-adapter";
import type { SessionTransport } from "./session-transport";

export interface SessionInit {
  hub: string;
  connectionId: string;
  userId: string | null;
  protocol: ProtocolKind;
  subprotocol?: string;
  roles: readonly string[];
  connectionState?: string;
  maxUnackedMessages: number;
  maxUnackedBytes: number;
  /** Set by faces other than Web PubSub: they frame deliveries and own the socket's protocol. */
  adapter?: SessionAdapter;
  /** Bytes the socket may hold unsent (its `bufferedAmount`) before this session is ended. */
  maxOutboundBytes: number;
}

/** A group stream this session publishes, open until its end, its idle timeout or the session's end. */
export interface OpenStream {
  readonly streamId: string;
  readonly group: string;
  readonly noEcho: boolean;
  /** The next fragment's `streamSequenceId`: every one below it was delivered. */
  expected: number;
  readonly idleTimeoutMs: number;
  lastActivity: number;
  timer: unknown;
}

/** What became of one data message: sent, or the session must end because a limit was passed. */
export type SendOutcome = "sent" | "reliableBufferFull" | "outboundLimit";

/**
 * One logical client connection. On the reliable protocol it outlives its socket: groups,
 * permissions, the ackId cache and unacked messages survive until recovery or expiry.
 */
export class ClientSession {
  readonly hub: string;
  readonly connectionId: string;
  readonly userId: string | null;
  readonly protocol: ProtocolKind;
  readonly subprotocol: string | undefined;
  readonly permissions: ConnectionPermissions;
  readonly groups = new Set<string>();
  readonly acks = new AckTracker();
  /** Group streams this session publishes, by id (at most `maxStreamsPerConnection`). */
  readonly streams = new Map<string, OpenStream>();
  /** This session's own state in each group it set one in (only groups it is a member of). */
  readonly groupStates = new Map<string, { state: Record<string, string>; updatedAt: number }>();
  /** Groups whose state this session is subscribed to (at most `maxGroupsPerConnection`). */
  readonly stateSubscriptions = new Set<string>();
  /** The last `updatedAt` this session's state changes carried: each change is later by at least 1 ms. */
  lastStateChangeAt = 0;
  readonly outbox: ReliableOutbox | undefined;
  readonly adapter: SessionAdapter | undefined;
  connectionState: string | undefined;
  /** The client transport attached now; null while a reliable session waits for recovery. */
  transport: SessionTransport | null = null;
  /** Set once the session is gone for good; nothing is delivered after it. */
  ended = false;
  recoveryTimer: unknown;
  readonly #maxOutboundBytes: number;

  constructor(init: SessionInit) {
    this.hub = init.hub;
    this.connectionId = init.connectionId;
    this.userId = init.userId;
    this.protocol = init.protocol;
    this.subprotocol = init.subprotocol;
    this.permissions = new ConnectionPermissions(init.roles);
    this.connectionState = init.connectionState;
    this.adapter = init.adapter;
    this.outbox = init.protocol === "reliable" ? new ReliableOutbox(init.maxUnackedMessages, init.maxUnackedBytes) : undefined;
    this.#maxOutboundBytes = init.maxOutboundBytes;
  }

  get upstreamConnection(): UpstreamConnection {
    return {
      hub: this.hub,
      connectionId: this.connectionId,
      userId: this.userId,
      ...(this.subprotocol === undefined ? {} : { subprotocol: this.subprotocol }),
      ...(this.connectionState === undefined ? {} : { connectionState: this.connectionState }),
    };
  }

  /** Whether a client transport is attached. */
  get attached(): boolean {
    return this.transport !== null;
  }

  /**
   * Sends a data message. A client that does not read lets its socket buffer grow; past
   * `maxOutboundBytes` the message is not sent and the caller must end the session.
   */
  sendData(frames: OutboundFrames): SendOutcome {
    if (this.adapter) return this.adapter.sendData(frames);
    const transport = this.transport;
    switch (this.protocol) {
      case "raw":
        if (this.#overLimit(frames.rawFrame.length)) return "outboundLimit";
        transport?.sendFramed(frames.rawFrame, frames.raw, frames.binary);
        return "sent";
      case "json":
        if (this.#overLimit(frames.jsonFrame.length)) return "outboundLimit";
        transport?.sendFramed(frames.jsonFrame, frames.json.json, false);
        return "sent";
      case "reliable": {
        const outbox = this.outbox!;
        const sequenceId = outbox.nextSequenceId();
        const frame = reliableFrame(frames.json, sequenceId);
        if (!outbox.keep(sequenceId, frame)) return "reliableBufferFull";
        if (this.#overLimit(frame.length)) return "outboundLimit";
        transport?.send(frame, false);
        return "sent";
      }
      default: {
        const _never: never = this.protocol;
        return _never;
      }
    }
  }

  #overLimit(frameBytes: number): boolean {
    return this.transport !== null && this.transport.bufferedAmount + frameBytes > this.#maxOutboundBytes;
  }

  /** Acks, pongs and system messages: JSON protocols only, never buffered. */
  sendControl(message: ServerMessage): void {
    if (this.protocol === "raw" || this.adapter) return;
    this.transport?.send(serializeServerMessage(message), false);
  }
}
