import type { StreamInfo } from "../cluster/commands";
import type { ClientSession, OpenStream } from "../node/client-session";
import type { ServiceNode } from "../node/service-node";
import type { ResolvedServiceOptions } from "../options";
import type { ClientMessage } from "../protocol/client-message";
import type { StreamClosedErrorName } from "../protocol/server-message";

/** The idle timeout of a stream whose publisher asked for none. */
export const DEFAULT_STREAM_IDLE_TIMEOUT_MS = 300_000;

const EMPTY = new Uint8Array(0);

export type StreamFrame = Extract<ClientMessage, { kind: "streamStart" | "streamData" | "streamEnd" }>;

/**
 * Group streams published by one session. Stream state lives on the session, so it survives a
 * reliable client's dropped socket: after recovery the client replays its unacked fragments and
 * they are acked, de-duplicated and delivered once.
 *
 * Fragments go to the group as ordinary group `message` frames carrying a `stream` field, in
 * order and exactly once; the terminal frame always carries `dataType` (text, empty), since the
 * official client drops a message without one and would wait out its own idle timer instead.
 * Every frame is handled at once, without waiting on anything: a publisher that writes faster
 * than its acks come back (the client has no window) never fills the frame queue.
 */
export class GroupStreams {
  constructor(
    private readonly node: ServiceNode,
    private readonly options: ResolvedServiceOptions,
    private readonly session: ClientSession,
  ) {}

  handle(message: StreamFrame): void {
    switch (message.kind) {
      case "streamStart":
        this.start(message);
        return;
      case "streamData":
        this.data(message);
        return;
      case "streamEnd":
        this.end(message);
        return;
      default: {
        const _never: never = message;
        return _never;
      }
    }
  }

  /** A malformed stream frame: a bad start is refused; a bad fragment or end ends its open stream. */
  refuse(streamId: string, frame: "start" | "fragment", reason: string): void {
    const open = frame === "fragment" ? this.session.streams.get(streamId) : undefined;
    if (open) {
      finishStream(this.node, this.session, open, { name: "BadRequest", message: reason });
    }
    this.closed(streamId, { name: "BadRequest", message: reason });
  }

  private start(message: Extract<StreamFrame, { kind: "streamStart" }>): void {
    const { session, options } = this;
    const { streamId } = message;
    if (streamId.length > options.maxStreamIdLength) {
      this.closed(streamId, { name: "BadRequest", message: `streamId must be at most ${options.maxStreamIdLength} characters.` });
      return;
    }
    if (!session.permissions.has("sendToGroup", message.group)) {
      this.closed(streamId, { name: "Forbidden", message: `The connection has no permission to send to group ${message.group}.` });
      return;
    }
    if (session.streams.has(streamId)) {
      // Answering with an error would also end the open stream of that id on the client: say nothing of it.
      this.closed(streamId, { name: "BadRequest", message: `Stream ${streamId} is already open on this connection.` });
      return;
    }
    // A stream that asks for no idle timeout gets the default, or the maximum when that is lower.
    const idleTimeoutMs = message.idleTimeoutMs ?? Math.min(DEFAULT_STREAM_IDLE_TIMEOUT_MS, options.maxStreamIdleTimeoutMs);
    if (idleTimeoutMs > options.maxStreamIdleTimeoutMs) {
      this.closed(streamId, { name: "BadRequest", message: `idleTimeoutMs must be at most ${options.maxStreamIdleTimeoutMs}.` });
      return;
    }
    if (session.streams.size >= options.maxStreamsPerConnection) {
      this.closed(streamId, { name: "BadRequest", message: `The connection already has ${options.maxStreamsPerConnection} open streams, the most one connection may have.` });
      return;
    }
    const open: OpenStream = { streamId, group: message.group, noEcho: message.noEcho, expected: 1, idleTimeoutMs, lastActivity: options.clock.now(), timer: undefined };
    session.streams.set(streamId, open);
    this.armIdleTimer(open, idleTimeoutMs);
    session.sendControl({ kind: "streamAck", streamId, expectedSequenceId: 1 });
  }

  private data(message: Extract<StreamFrame, { kind: "streamData" }>): void {
    const { session, options } = this;
    const open = session.streams.get(message.streamId);
    if (!open) {
      this.closed(message.streamId, { name: "StreamNotFound", message: `Stream ${message.streamId} is not open on this connection.` });
      return;
    }
    open.lastActivity = options.clock.now();
    const fragment = message.fragment;
    if (!fragment) return; // keepalive: the idle timer is reset, nothing is delivered or acked
    if (fragment.sequenceId < open.expected) {
      // A replay after recovery: delivered already, acked again.
      session.sendControl({ kind: "streamAck", streamId: open.streamId, expectedSequenceId: open.expected });
      return;
    }
    if (fragment.sequenceId > open.expected) {
      session.sendControl({
        kind: "streamNack",
        streamId: open.streamId,
        expectedSequenceId: open.expected,
        name: "InvalidSequenceId",
        message: `Expected streamSequenceId ${open.expected}, got ${fragment.sequenceId}.`,
      });
      return;
    }
    options.meter.inboundMessage(session.hub, "client", fragment.payload.data.byteLength);
    const refusal = options.meter.admitMessage(session.hub);
    if (refusal) {
      finishStream(this.node, session, open, { name: "Forbidden", message: refusal.message });
      this.closed(open.streamId, { name: "Forbidden", message: refusal.message });
      return;
    }
    deliver(this.node, session, open, fragment.payload.dataType, fragment.payload.data, { streamId: open.streamId, streamSequenceId: open.expected });
    open.expected += 1;
    session.sendControl({ kind: "streamAck", streamId: open.streamId, expectedSequenceId: open.expected });
  }

  private end(message: Extract<StreamFrame, { kind: "streamEnd" }>): void {
    const open = this.session.streams.get(message.streamId);
    if (!open) {
      this.closed(message.streamId, { name: "StreamNotFound", message: `Stream ${message.streamId} is not open on this connection.` });
      return;
    }
    const error = message.error;
    finishStream(
      this.node,
      this.session,
      open,
      error === undefined
        ? undefined
        : { name: "UserError", message: error.message ?? "", ...(error.userErrorCode === undefined ? {} : { userErrorCode: error.userErrorCode }) },
    );
    this.closed(open.streamId);
  }

  /**
   * One timer per stream, re-armed lazily: fragments only move `lastActivity`, so a busy stream
   * costs no timer churn. Past its idle time the stream ends with `IdleTimeout` on both sides.
   */
  private armIdleTimer(open: OpenStream, delayMs: number): void {
    const { clock } = this.options;
    open.timer = clock.setTimeout(() => {
      open.timer = undefined;
      if (this.session.streams.get(open.streamId) !== open) return;
      const idleFor = clock.now() - open.lastActivity;
      if (idleFor < open.idleTimeoutMs) {
        this.armIdleTimer(open, open.idleTimeoutMs - idleFor);
        return;
      }
      const reason = `No fragment or keepalive for ${open.idleTimeoutMs} ms.`;
      finishStream(this.node, this.session, open, { name: "IdleTimeout", message: reason });
      this.closed(open.streamId, { name: "IdleTimeout", message: reason });
    }, delayMs);
  }

  private closed(streamId: string, error?: { name: StreamClosedErrorName; message: string }): void {
    this.session.sendControl(error ? { kind: "streamClosed", streamId, error } : { kind: "streamClosed", streamId });
  }
}

/**
 * Ends an open stream: receivers get its terminal frame, numbered after the last fragment, and
 * the stream is forgotten (its id may be used again).
 */
export function finishStream(node: ServiceNode, session: ClientSession, open: OpenStream, error: StreamInfo["error"]): void {
  if (session.streams.get(open.streamId) === open) session.streams.delete(open.streamId);
  if (open.timer !== undefined) node.clock.clearTimeout(open.timer);
  open.timer = undefined;
  deliver(node, session, open, "text", EMPTY, {
    streamId: open.streamId,
    streamSequenceId: open.expected,
    endOfStream: true,
    ...(error === undefined ? {} : { error }),
  });
}

/** Every open stream of a session that is gone for good ends with `Cancelled`. */
export function cancelStreams(node: ServiceNode, session: ClientSession): void {
  for (const open of [...session.streams.values()]) {
    finishStream(node, session, open, { name: "Cancelled", message: "The publisher's connection ended." });
  }
}

function deliver(node: ServiceNode, session: ClientSession, open: OpenStream, dataType: "json" | "text" | "binary", data: Uint8Array, stream: StreamInfo): void {
  // Not awaited: the local fan-out happens now, and publications leave in call order.
  void node.execute(session.hub, {
    kind: "deliver",
    target: { kind: "group", group: open.group, ...(open.noEcho ? { excluded: [session.connectionId] } : {}) },
    message: { from: "group", group: open.group, fromUserId: session.userId, dataType, data, stream },
  });
}
