import type { RawData } from "ws";
import type { OutboundData } from "../cluster/commands";
import type { ClientSession } from "../node/client-session";
import type { ServiceNode } from "../node/service-node";
import type { SessionTransport } from "../node/session-transport";
import type { ResolvedServiceOptions } from "../options";
import type { ClientMessage } from "../protocol/client-message";
import { parseClientMessage } from "../protocol/parse-client-message";
import { ProtocolError } from "../protocol/protocol-error";
import { serializeServerMessage, type AckErrorName } from "../protocol/server-message";
import type { InvokeOutcome } from "../upstream/upstream-dispatcher";
import { CloseCode } from "./close-codes";
import { GroupStreams, type StreamFrame } from "./group-streams";
import { toBuffer } from "./raw-data";
import { stateRefusal } from "../node/group-states";

/** An ack's outcome; `afterAck` runs once the ack is sent (a state subscription's snapshot comes after it). */
type AckResult = { ok: true; afterAck?: () => void } | { ok: false; name: AckErrorName; message: string };

/** A JSON frame parsed on arrival: the message, null for an unknown type, or the parse error. */
type ParsedFrame = { message: ClientMessage | null } | { error: ProtocolError };

interface WaitingFrame {
  bytes: Buffer;
  isBinary: boolean;
  parsed?: ParsedFrame;
}

const OK: AckResult = { ok: true };

/**
 * Handles the frames of one socket. Frames are processed one after another (an event waits for
 * its upstream answer before the next frame runs), so acks keep the order of the requests.
 * `ping` and `sequenceAck` are applied on arrival instead: they never wait behind a slow event
 * handler and never count against the waiting frames, so a reliable client's acks free its
 * buffer on time. Frames waiting their turn are bounded (`maxPendingInboundFrames`,
 * `maxPendingInboundBytes`): one more ends the connection with 1008. When the socket closes,
 * waiting frames are dropped, so no event reaches the handler after the connection's `disconnected`.
 */
export class ClientFrameHandler {
  private readonly waiting: WaitingFrame[] = [];
  private waitingBytes = 0;
  private running = false;
  private closed = false;
  /**
   * Invocations of this socket waiting for the event handler, by id. Each is aborted by its
   * `cancelInvocation` or when the socket closes (even a reliable drop that recovers: the client
   * has already failed them), and then answers nothing. Bounded by `maxInvocationsPerConnection`.
   */
  private readonly invocations = new Map<string, AbortController>();
  private readonly streams: GroupStreams;

  constructor(
    private readonly node: ServiceNode,
    private readonly options: ResolvedServiceOptions,
    private readonly session: ClientSession,
    private readonly transport: SessionTransport,
  ) {
    this.streams = new GroupStreams(node, options, session);
  }

  onFrame(data: RawData, isBinary: boolean): void {
    if (this.closed) return;
    const bytes = toBuffer(data);
    let parsed: ParsedFrame | undefined;
    if (this.session.protocol !== "raw" && !isBinary) {
      try {
        parsed = parseFrame(bytes);
      } catch (error) {
        this.options.logger.error(`client frame failed on ${this.session.connectionId}: ${(error as Error).message}`);
        this.transport.close(CloseCode.internalError, "Internal error.");
        return;
      }
      if ("message" in parsed && parsed.message !== null && this.applyAtOnce(parsed.message)) return;
      // Stream frames never wait on anything: with nothing queued before them they are handled
      // now, so a publisher writing faster than a queue turn cannot fill the queue.
      const stream = streamFrameOf(parsed);
      if (stream && !this.running && this.waiting.length === 0) {
        this.handleStreamFrame(stream);
        return;
      }
    }
    if (this.running && (this.waiting.length >= this.options.maxPendingInboundFrames || this.waitingBytes + bytes.length > this.options.maxPendingInboundBytes)) {
      this.onClose();
      if (this.session.transport === this.transport) this.node.lifecycle.endOverLimit(this.session, "inboundLimit");
      else this.transport.close(CloseCode.policyViolation, "Too many messages are waiting for the event handler.");
      return;
    }
    this.waiting.push(parsed === undefined ? { bytes, isBinary } : { bytes, isBinary, parsed });
    this.waitingBytes += bytes.length;
    if (!this.running) void this.drain();
  }

  /** The socket is gone: what still waits is dropped, never sent upstream. */
  onClose(): void {
    this.closed = true;
    this.waiting.length = 0;
    this.waitingBytes = 0;
    for (const invocation of this.invocations.values()) invocation.abort();
    this.invocations.clear();
  }

  private async drain(): Promise<void> {
    this.running = true;
    for (let next = this.waiting.shift(); next !== undefined && !this.closed; next = this.waiting.shift()) {
      this.waitingBytes -= next.bytes.length;
      if (this.session.ended || this.session.transport !== this.transport) continue;
      try {
        await (this.session.protocol === "raw" ? this.handleRaw(next.bytes, next.isBinary) : this.handleJson(next));
      } catch (error) {
        this.options.logger.error(`client frame failed on ${this.session.connectionId}: ${(error as Error).message}`);
        this.transport.close(CloseCode.internalError, "Internal error.");
      }
    }
    this.running = false;
  }

  private async handleRaw(bytes: Buffer, isBinary: boolean): Promise<void> {
    const { hub } = this.session;
    this.options.meter.inboundMessage(hub, "client", bytes.length);
    if (this.options.meter.admitMessage(hub)) return;
    const outcome = await this.options.upstream.userEvent(this.session.upstreamConnection, "message", isBinary ? "binary" : "text", bytes);
    switch (outcome.kind) {
      case "unhandled":
        return;
      case "failed":
        this.transport.close(CloseCode.internalError, "The event handler failed.");
        return;
      case "handled":
        if (outcome.connectionState !== undefined) this.session.connectionState = outcome.connectionState;
        if (outcome.response && outcome.response.data.byteLength > 0) this.replyToSender(outcome.response);
        return;
      default: {
        const _never: never = outcome;
        return _never;
      }
    }
  }

  private async handleJson(frame: WaitingFrame): Promise<void> {
    if (frame.isBinary) {
      this.transport.close(CloseCode.unsupportedData, "Binary frames are not supported on JSON subprotocols.");
      return;
    }
    const parsed = frame.parsed ?? parseFrame(frame.bytes);
    const stream = streamFrameOf(parsed);
    if (stream) {
      this.handleStreamFrame(stream);
      return;
    }
    if ("error" in parsed) {
      const { error } = parsed;
      if (error.ackId !== undefined) this.ack(error.ackId, { ok: false, name: "BadRequest", message: error.message });
      else if (error.invocationId !== undefined) this.invokeResponse(error.invocationId, { kind: "error", name: "BadRequest", message: error.message });
      else this.transport.close(CloseCode.invalidPayload, error.message);
      return;
    }
    if (parsed.message === null) return; // unknown type: ignored, for forward compatibility
    await this.dispatch(parsed.message);
  }

  private handleStreamFrame(frame: StreamInput): void {
    if (this.session.ended || this.session.transport !== this.transport) return;
    if ("message" in frame) this.streams.handle(frame.message);
    else this.streams.refuse(frame.streamId, frame.frame, frame.reason);
  }

  /** The frames answered on arrival, outside the queue; true when `message` was one of them. */
  private applyAtOnce(message: ClientMessage): boolean {
    const atOnce = message.kind === "ping" || message.kind === "sequenceAck" || message.kind === "invoke" || message.kind === "cancelInvocation";
    if (this.session.ended || this.session.transport !== this.transport) return atOnce;
    switch (message.kind) {
      case "ping":
        this.session.sendControl({ kind: "pong" });
        return true;
      case "sequenceAck":
        this.session.outbox?.ack(message.sequenceId);
        return true;
      case "invoke":
        this.startInvocation(message);
        return true;
      case "cancelInvocation":
        // Unknown, finished or another socket's ids are accepted silently, as the client sends them.
        this.invocations.get(message.invocationId)?.abort();
        this.invocations.delete(message.invocationId);
        return true;
      default:
        return false;
    }
  }

  /** Runs one invocation beside the frame queue: invocations are concurrent and never retried. */
  private startInvocation(message: Extract<ClientMessage, { kind: "invoke" }>): void {
    const { invocationId } = message;
    if (this.invocations.has(invocationId)) {
      // The official client cannot do this (it refuses a registered id); the first call keeps its answer.
      this.options.logger.warn(`invoke ${JSON.stringify(invocationId.slice(0, 64))} on ${this.session.connectionId} is already in flight; the repeat is ignored`);
      return;
    }
    const { hub } = this.session;
    this.options.meter.inboundMessage(hub, "client", message.payload?.data.byteLength ?? 0);
    const refusal = this.options.meter.admitMessage(hub);
    if (refusal) {
      this.invokeResponse(invocationId, { kind: "error", name: "Forbidden", message: refusal.message });
      return;
    }
    if (this.invocations.size >= this.options.maxInvocationsPerConnection) {
      this.invokeResponse(invocationId, {
        kind: "error",
        name: "TooManyInvocations",
        message: `The connection already has ${this.options.maxInvocationsPerConnection} invocations waiting for the event handler, the most one connection may have.`,
      });
      return;
    }
    const controller = new AbortController();
    this.invocations.set(invocationId, controller);
    const payload = message.payload ? { dataType: message.payload.dataType, data: message.payload.data } : undefined;
    this.options.upstream
      .invoke(this.session.upstreamConnection, message.event, payload, { signal: controller.signal, timeoutMs: this.options.invokeTimeoutMs })
      .then(
        (outcome) => {
          if (this.invocations.get(invocationId) !== controller || controller.signal.aborted) return; // cancelled: nothing is sent
          this.invocations.delete(invocationId);
          if (outcome.kind === "cancelled") return;
          if (outcome.kind === "success" && outcome.connectionState !== undefined) this.session.connectionState = outcome.connectionState;
          this.invokeResponse(invocationId, outcome);
        },
        (error: unknown) => {
          if (this.invocations.get(invocationId) === controller) this.invocations.delete(invocationId);
          this.options.logger.error(`invoke failed on ${this.session.connectionId}: ${(error as Error).message}`);
          if (!controller.signal.aborted) this.invokeResponse(invocationId, { kind: "error", name: "InternalServerError", message: "The invocation failed." });
        },
      );
  }

  /** One `invokeResponse`, billed like any outbound message; never sequenced, never replayed. */
  private invokeResponse(invocationId: string, outcome: Exclude<InvokeOutcome, { kind: "cancelled" }>): void {
    if (this.session.ended || this.session.transport !== this.transport) return;
    const frame = serializeServerMessage(
      outcome.kind === "success"
        ? { kind: "invokeResponse", invocationId, result: outcome.response }
        : { kind: "invokeResponse", invocationId, result: undefined, error: { name: outcome.name, message: outcome.message } },
    );
    this.options.meter.outboundMessage(this.session.hub, "client", outcome.kind === "success" ? (outcome.response?.data.byteLength ?? 0) : 0);
    this.transport.send(frame, false);
  }

  private async dispatch(message: ClientMessage): Promise<void> {
    switch (message.kind) {
      case "ping":
      case "sequenceAck":
      case "invoke":
      case "cancelInvocation":
        this.applyAtOnce(message);
        return;
      case "streamStart":
      case "streamData":
      case "streamEnd":
        this.streams.handle(message);
        return;
      case "joinGroup":
      case "leaveGroup":
      case "sendToGroup":
      case "event":
        await this.withAck(message.ackId, () => this.run(message));
        return;
      case "setGroupState":
      case "subscribeGroupState":
      case "unsubscribeGroupState":
        await this.withAck(message.ackId, async () => this.groupState(message));
        return;
      default: {
        const _never: never = message;
        return _never;
      }
    }
  }

  /**
   * Duplicate ackIds are answered without running again; an id is remembered once it succeeded.
   * A repeat of an id still running (kept per session, so across a recovery) waits for the first
   * outcome: `Duplicate` after a success, the same error after a failure.
   */
  private async withAck(ackId: number | undefined, operation: () => Promise<AckResult>): Promise<void> {
    if (ackId === undefined) {
      const result = await operation();
      if (result.ok) result.afterAck?.();
      return;
    }
    const { acks } = this.session;
    const first = acks.inFlight(ackId);
    if (first) {
      const outcome = (await first) as AckResult;
      this.ack(ackId, outcome.ok ? duplicate(ackId) : outcome);
      return;
    }
    if (acks.has(ackId)) {
      this.ack(ackId, duplicate(ackId));
      return;
    }
    const result = (await acks.track(ackId, operation())) as AckResult;
    this.ack(ackId, result);
    if (result.ok) result.afterAck?.();
  }

  private async run(message: Extract<ClientMessage, { kind: "joinGroup" | "leaveGroup" | "sendToGroup" | "event" }>): Promise<AckResult> {
    const session = this.session;
    const hub = this.node.registry.get(session.hub);
    if (!hub || session.ended) return { ok: false, name: "InternalServerError", message: "The connection is closing." };
    switch (message.kind) {
      case "joinGroup":
      case "leaveGroup":
        if (!session.permissions.has("joinLeaveGroup", message.group)) return forbidden(`join or leave group ${message.group}`);
        if (message.kind === "joinGroup" && !session.groups.has(message.group) && session.groups.size >= this.options.maxGroupsPerConnection) {
          return { ok: false, name: "BadRequest", message: `The connection is already in ${this.options.maxGroupsPerConnection} groups, the most one connection may join.` };
        }
        if (message.kind === "joinGroup") hub.join(session, message.group);
        else hub.leave(session, message.group);
        return OK;
      case "sendToGroup": {
        this.options.meter.inboundMessage(session.hub, "client", message.payload.data.byteLength);
        const refusal = this.options.meter.admitMessage(session.hub);
        if (refusal) return { ok: false, name: "Forbidden", message: refusal.message };
        if (!session.permissions.has("sendToGroup", message.group)) return forbidden(`send to group ${message.group}`);
        await this.node.execute(session.hub, {
          kind: "deliver",
          target: { kind: "group", group: message.group, ...(message.noEcho ? { excluded: [session.connectionId] } : {}) },
          message: { from: "group", group: message.group, fromUserId: session.userId, ...message.payload },
        });
        return OK;
      }
      case "event": {
        this.options.meter.inboundMessage(session.hub, "client", message.payload.data.byteLength);
        const refusal = this.options.meter.admitMessage(session.hub);
        if (refusal) return { ok: false, name: "Forbidden", message: refusal.message };
        const outcome = await this.options.upstream.userEvent(session.upstreamConnection, message.event, message.payload.dataType, message.payload.data);
        if (outcome.kind === "failed") return { ok: false, name: "InternalServerError", message: outcome.message };
        if (outcome.kind === "handled") {
          if (outcome.connectionState !== undefined) session.connectionState = outcome.connectionState;
          // The response goes out before the ack.
          if (outcome.response && outcome.response.data.byteLength > 0) this.replyToSender(outcome.response);
        }
        return OK;
      }
      default: {
        const _never: never = message;
        return _never;
      }
    }
  }

  /**
   * Group state: a connection sets and clears only its own state, in a group it is a member of;
   * it may subscribe to a group it is in or could join. The ack comes first, then the snapshot.
   */
  private groupState(message: Extract<ClientMessage, { kind: "setGroupState" | "subscribeGroupState" | "unsubscribeGroupState" }>): AckResult {
    const { session, options, node } = this;
    const { group } = message;
    if (session.ended) return { ok: false, name: "InternalServerError", message: "The connection is closing." };
    switch (message.kind) {
      case "setGroupState": {
        if (!session.groups.has(group)) return { ok: false, name: "BadRequest", message: `Connection is not in group '${group}'.` };
        if (message.state !== undefined) {
          const refusal = stateRefusal(message.state, options);
          if (refusal) return { ok: false, name: "BadRequest", message: refusal };
        } else if (!session.groupStates.has(group)) {
          return OK; // clearing what is not there changes nothing and tells no one
        }
        const state = message.state;
        return { ok: true, afterAck: () => node.changeGroupState(session, group, state) };
      }
      case "subscribeGroupState": {
        if (!session.groups.has(group) && !session.permissions.has("joinLeaveGroup", group)) {
          return forbidden(`read the state of group ${group}, which it is not in and may not join`);
        }
        if (!session.stateSubscriptions.has(group) && session.stateSubscriptions.size >= options.maxGroupsPerConnection) {
          return { ok: false, name: "BadRequest", message: `The connection already follows the state of ${options.maxGroupsPerConnection} groups, the most one connection may.` };
        }
        if (!node.stateSubscribers.subscribe(session, group, options.maxGroupStateSubscribers)) {
          return { ok: false, name: "BadRequest", message: `Group '${group}' already has ${options.maxGroupStateSubscribers} state subscribers on this node.` };
        }
        return { ok: true, afterAck: () => void node.sendGroupStateSnapshot(session, group) };
      }
      case "unsubscribeGroupState":
        node.stateSubscribers.unsubscribe(session, group);
        return OK;
      default: {
        const _never: never = message;
        return _never;
      }
    }
  }

  private replyToSender(response: Pick<OutboundData, "dataType" | "data">): void {
    this.node.apply(this.session.hub, {
      kind: "deliver",
      target: { kind: "connection", connectionId: this.session.connectionId },
      message: { from: "server", dataType: response.dataType, data: response.data },
    });
  }

  private ack(ackId: number, result: AckResult): void {
    this.session.sendControl(result.ok ? { kind: "ack", ackId } : { kind: "ack", ackId, error: { name: result.name, message: result.message } });
  }
}

function parseFrame(bytes: Buffer): ParsedFrame {
  try {
    return { message: parseClientMessage(bytes.toString("utf8")) };
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    return { error };
  }
}

/** A stream frame, or a malformed one that names its stream. */
type StreamInput = { message: StreamFrame } | { streamId: string; frame: "start" | "fragment"; reason: string };

/** The stream frame in a parsed frame, or undefined when it is none. */
function streamFrameOf(parsed: ParsedFrame): StreamInput | undefined {
  if ("error" in parsed) {
    const { stream, message } = parsed.error;
    return stream ? { ...stream, reason: message } : undefined;
  }
  const message = parsed.message;
  if (message?.kind === "streamStart" || message?.kind === "streamData" || message?.kind === "streamEnd") return { message };
  return undefined;
}

function duplicate(ackId: number): AckResult {
  return { ok: false, name: "Duplicate", message: `Message with ackId ${ackId} was already processed.` };
}

function forbidden(action: string): AckResult {
  return { ok: false, name: "Forbidden", message: `The connection has no permission to ${action}.` };
}
