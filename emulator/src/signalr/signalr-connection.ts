import { ClientSession, type SendOutcome } from "../node/client-session";
import type { OutboundFrames } from "../node/outbound-frames";
import type { SessionAdapter } from "../node/session-adapter";
import { WebSocketHubChannel, type HubChannel } from "./hub-channel";
import type { ServiceNode } from "../node/service-node";
import { closeReason } from "../node/session-lifecycle";
import type { ResolvedServiceOptions } from "../options";
import { handshakeEnd, handshakeResponse, parseHandshake } from "./handshake";
import { completionError, completionVoid, HubProtocolError, type HubMessage, type HubProtocolName } from "./hub-message";
import { jsonInvocationFrame, parseJsonPart, serializeJsonMessage, splitJsonFrame } from "./json-hub-protocol";
import { messagePackInvocationFrame, parseBody, serializeMessagePackMessage, splitLengthPrefixed } from "./messagepack-hub-protocol";
import type { ResolvedSignalROptions } from "./signalr-options";
import type { SignalRUpstream, UpstreamCaller } from "./signalr-upstream";

/** Each delivery is framed once per protocol, whatever the number of recipients. */
const JSON_FRAME = Symbol("signalr-json");
const MESSAGEPACK_FRAME = Symbol("signalr-messagepack");
/** The same, as WebSocket wire bytes (every WebSocket channel of a service fragments alike). */
const JSON_WIRE = Symbol("signalr-json-wire");
const MESSAGEPACK_WIRE = Symbol("signalr-messagepack-wire");

/** A handshake that has not ended within this many bytes is refused. */
const MAX_HANDSHAKE_BYTES = 64 * 1024;

/** WebSocket close codes this face uses. */
const NORMAL_CLOSURE = 1000;
const INVALID_PAYLOAD = 1007;
const INTERNAL_ERROR = 1011;

export interface SignalRConnectionDeps {
  node: ServiceNode;
  options: ResolvedServiceOptions;
  settings: ResolvedSignalROptions;
  upstream: SignalRUpstream;
}

/**
 * Stateful reconnect, when negotiate offered it: the connection outlives a dropped WebSocket for
 * the client timeout, and the face, which keeps it findable by its token, can hand it the
 * client's new socket (`reattach`).
 */
export interface StatefulReconnect {
  /** The connection is over: the token finds nothing any more. */
  forget(connection: SignalRConnection): void;
}

/** Messages that carry an implicit sequence id under stateful reconnect (both directions). */
function isSequenced(kind: HubMessage["kind"]): boolean {
  return kind === "invocation" || kind === "streamItem" || kind === "completion" || kind === "streamInvocation" || kind === "cancelInvocation";
}

/**
 * One SignalR client connection, over any transport (its channel): the handshake, then the JSON
 * or MessagePack hub protocol. It is the session's adapter, so the core's deliveries, closes and
 * shutdown come back through it. The transport hands it what the client sent (`receive`) and
 * says when it is gone (`channelClosed`).
 */
export class SignalRConnection implements SessionAdapter {
  private protocol: HubProtocolName | undefined;
  private handshakeBytes: Buffer = Buffer.alloc(0);
  private session: ClientSession | undefined;
  private timer: unknown;
  private handshakeTimer: unknown;
  private lastReceivedAt: number;
  private inFlight = 0;
  /** Bytes of the invocations waiting for the upstream (bounded by --max-pending-inbound-bytes). */
  private inFlightBytes = 0;
  /** The client said goodbye (Close message or a normal close code): `disconnected` carries no error. */
  private cleanClose = false;
  /** Service-initiated closes let clients reconnect, except for protocol errors. */
  private allowReconnect = true;
  private done = false;
  /** Aborts this connection's upstream invocations still in flight once it ends: nothing of it outlives it. */
  private readonly invocations = new AbortController();
  /** Stateful reconnect: messages sent and not yet acked, their ids, bytes; what the client sent. */
  private readonly unacked: Array<{ id: number; bytes: Buffer | string; binary: boolean; size: number }> = [];
  private unackedBytes = 0;
  private sentSequence = 0;
  private receivedSequence = 0;
  private latestReceived = 0;
  private ackTimer: unknown;

  constructor(
    private readonly deps: SignalRConnectionDeps,
    private channel: HubChannel,
    private readonly caller: UpstreamCaller,
    private readonly stateful?: StatefulReconnect,
  ) {
    this.lastReceivedAt = deps.options.clock.now();
  }

  /** The client's new WebSocket after a drop: the service says where its resend starts, then resends. */
  reattach(channel: HubChannel): void {
    this.channel = channel;
    if (this.session) this.session.transport = channel;
    this.lastReceivedAt = this.deps.options.clock.now();
    const first = this.unacked[0]?.id ?? this.sentSequence + 1;
    this.write({ kind: "sequence", sequenceId: first });
    for (const message of this.unacked) channel.send(message.bytes, message.binary);
  }

  /** True once the connection is over (the transport should stop taking requests for it). */
  get finished(): boolean {
    return this.done;
  }

  start(): void {
    const { clock } = this.deps.options;
    this.handshakeTimer = clock.setTimeout(() => {
      if (!this.protocol) this.refuseHandshake("The handshake did not arrive in time.");
    }, this.deps.settings.handshakeTimeoutMs);
  }

  /**
   * What the client sent: one WebSocket message, or one POST body of the HTTP transports (whose
   * type follows the protocol: `isBinary` undefined).
   */
  receive(bytes: Buffer, isBinary?: boolean): void {
    try {
      this.onFrame(bytes, isBinary ?? this.protocol === "messagepack");
    } catch (error) {
      // A bug must cost this connection only, never the process or other connections.
      this.deps.options.logger.error(`SignalR frame failed on ${this.caller.connectionId}: ${(error as Error).message}`);
      this.closeWithError("Internal error.", INTERNAL_ERROR);
    }
  }

  /** The client is still there though it sent nothing (a Long Polling poll). */
  touch(): void {
    this.lastReceivedAt = this.deps.options.clock.now();
  }

  /** The transport is gone (socket closed, stream aborted, no poll in time, DELETE); a replaced one's close is ignored. */
  channelClosed(code: number, channel: HubChannel = this.channel): void {
    if (channel !== this.channel) return;
    this.onSocketClosed(code);
  }

  // --- SessionAdapter -----------------------------------------------------------------------

  sendData(frames: OutboundFrames): SendOutcome {
    const target = frames.message.invocationTarget;
    if (target === undefined || this.done) return "sent";
    if (!this.channel.open && !this.stateful) return "sent";
    if (this.channel.bufferedAmount > this.deps.options.maxOutboundBytesPerConnection) {
      // A client that does not read: the message is dropped for it, and the core ends the session
      // once this fan-out is over (a Close that allows reconnecting, 1008, counted in /metrics).
      this.allowReconnect = true;
      this.done = true;
      return "outboundLimit";
    }
    const binary = this.protocol === "messagepack";
    const frame = binary
      ? frames.faceFrame(MESSAGEPACK_FRAME, (m) => messagePackInvocationFrame(target, m.data))
      : frames.faceFrame(JSON_FRAME, (m) => jsonInvocationFrame(target, m.data));
    if (this.stateful && !this.keep(frame, binary)) return "reliableBufferFull";
    if (!this.channel.open) return "sent";
    const channel = this.channel;
    if (channel instanceof WebSocketHubChannel) {
      // Framed (and fragmented) once per fan-out; the same bytes go to every WebSocket recipient.
      channel.sendFramed(frames.faceFrame(binary ? MESSAGEPACK_WIRE : JSON_WIRE, () => channel.wireOf(frame, binary)), frame, binary);
    } else {
      channel.send(frame, binary);
    }
    return "sent";
  }

  opened(): void {
    this.deps.upstream.connected(this.caller);
  }

  close(reason: string, how: { notifyClient: boolean; closeCode?: number }): void {
    if (how.notifyClient) {
      this.send({ kind: "close", ...(reason ? { error: reason } : {}), ...(this.allowReconnect ? { allowReconnect: true } : {}) }, false);
    }
    this.channel.close(how.closeCode ?? NORMAL_CLOSURE, closeReason(reason));
  }

  ended(reason: string): void {
    this.stateful?.forget(this);
    this.stopTimers();
    this.invocations.abort();
    this.deps.upstream.disconnected(this.caller, this.cleanClose ? undefined : reason);
  }

  // --- inbound ------------------------------------------------------------------------------

  private onFrame(bytes: Buffer, isBinary: boolean): void {
    if (this.done) return;
    this.lastReceivedAt = this.deps.options.clock.now();
    if (!this.protocol) {
      this.onHandshakeBytes(bytes);
      return;
    }
    this.onMessages(bytes, isBinary);
  }

  private onHandshakeBytes(bytes: Buffer): void {
    this.handshakeBytes = this.handshakeBytes.length === 0 ? bytes : Buffer.concat([this.handshakeBytes, bytes]);
    const end = handshakeEnd(this.handshakeBytes);
    if (end < 0) {
      if (this.handshakeBytes.length > MAX_HANDSHAKE_BYTES) this.refuseHandshake("The handshake request is too large.");
      return;
    }
    const request = parseHandshake(this.handshakeBytes.toString("utf8", 0, end));
    const rest = this.handshakeBytes.subarray(end + 1);
    this.handshakeBytes = Buffer.alloc(0);
    if (request.kind !== "ok") {
      this.refuseHandshake(request.error);
      return;
    }
    this.deps.options.clock.clearTimeout(this.handshakeTimer);
    if (request.protocol === "messagepack" && this.channel.kind === "ServerSentEvents") {
      this.refuseHandshake("Cannot use the 'messagepack' protocol on the current transport. The transport does not support 'Binary' transfer format.");
      return;
    }
    this.protocol = request.protocol;
    this.channel.send(handshakeResponse(), false);
    this.openSession();
    this.scheduleKeepAlive();
    if (rest.length > 0) this.onMessages(rest, request.protocol === "messagepack");
  }

  private refuseHandshake(error: string): void {
    if (this.done) return;
    this.done = true;
    this.stopTimers();
    if (this.channel.open) this.channel.send(handshakeResponse(error), false);
    this.channel.close(NORMAL_CLOSURE, closeReason(error));
  }

  private openSession(): void {
    const { node, options } = this.deps;
    this.session = new ClientSession({
      hub: this.caller.hubKey,
      connectionId: this.caller.connectionId,
      userId: this.caller.userId,
      // The Web PubSub protocol kind only matters for its own sessions; this one frames nothing itself.
      protocol: "raw",
      roles: [],
      maxUnackedMessages: options.maxUnackedMessages,
      maxOutboundBytes: options.maxOutboundBytesPerConnection,
      maxUnackedBytes: options.maxUnackedBytes,
      adapter: this,
    });
    node.lifecycle.open(this.session, this.channel, []);
  }

  private onMessages(bytes: Buffer, isBinary: boolean): void {
    const protocol = this.protocol!;
    const { meter } = this.deps.options;
    meter.inboundMessage(this.caller.hubKey, "client", bytes.length);
    try {
      if (protocol === "json") {
        if (isBinary) throw new HubProtocolError("Binary frames are not valid on the JSON hub protocol.");
        for (const part of splitJsonFrame(bytes.toString("utf8"))) {
          const message = parseJsonPart(part);
          if (message) this.dispatch(message, Buffer.from(part, "utf8"));
          if (this.done) return;
        }
      } else {
        if (!isBinary) throw new HubProtocolError("Text frames are not valid on the MessagePack hub protocol.");
        for (const body of splitLengthPrefixed(bytes)) {
          const message = parseBody(body);
          if (message) this.dispatch(message, body);
          if (this.done) return;
        }
      }
    } catch (error) {
      if (!(error instanceof HubProtocolError)) throw error;
      this.closeWithError(`Connection closed with an error. ${error.message}`, INVALID_PAYLOAD);
    }
  }

  private dispatch(message: HubMessage, raw: Uint8Array): void {
    if (this.stateful && isSequenced(message.kind)) {
      // A resend after a reconnect repeats what already arrived: each id is handled once.
      this.receivedSequence += 1;
      if (this.receivedSequence <= this.latestReceived) return;
      this.latestReceived = this.receivedSequence;
      this.scheduleAck();
    }
    switch (message.kind) {
      case "invocation":
        this.invoke(message, raw).catch((error: unknown) => {
          this.deps.options.logger.error(`SignalR invocation failed on ${this.caller.connectionId}: ${(error as Error).message}`);
          if (message.invocationId !== undefined && !this.done) this.send(completionError(message.invocationId, "Invocation failed."));
        });
        return;
      case "streamInvocation":
        this.send(completionError(message.invocationId, "Stream invocations are not supported in serverless mode."));
        return;
      case "close":
        this.cleanClose = true;
        this.endSession("The client closed the connection.", false);
        return;
      case "ack":
        this.acked(message.sequenceId);
        return;
      case "sequence":
        // The client's resend starts at this id.
        this.receivedSequence = message.sequenceId - 1;
        return;
      case "ping":
      case "streamItem":
      case "completion":
      case "cancelInvocation":
        return; // nothing to do in serverless mode (a ping only proves the client is alive)
      default: {
        const _never: never = message;
        return _never;
      }
    }
  }

  private async invoke(message: Extract<HubMessage, { kind: "invocation" }>, raw: Uint8Array): Promise<void> {
    const { invocationId, target } = message;
    const refusal = this.deps.options.meter.admitMessage(this.caller.hubKey);
    if (refusal) {
      if (invocationId !== undefined) this.send(completionError(invocationId, refusal.message));
      return;
    }
    if (this.inFlight >= this.deps.settings.maxInvocationsInFlight) {
      if (invocationId !== undefined) this.send(completionError(invocationId, `Too many invocations in flight (at most ${this.deps.settings.maxInvocationsInFlight} per connection).`));
      return;
    }
    const { maxPendingInboundBytes } = this.deps.options;
    if (this.inFlightBytes + raw.byteLength > maxPendingInboundBytes) {
      if (invocationId !== undefined) this.send(completionError(invocationId, `Too many bytes of invocations in flight (at most ${maxPendingInboundBytes} per connection).`));
      return;
    }
    this.inFlight += 1;
    this.inFlightBytes += raw.byteLength;
    let answer;
    try {
      answer = await this.deps.upstream.invoke(this.caller, target, raw, this.protocol === "messagepack" ? "application/x-msgpack" : "application/json", this.invocations.signal);
    } finally {
      this.inFlight -= 1;
      this.inFlightBytes -= raw.byteLength;
    }
    if (invocationId === undefined || this.done) return;
    switch (answer.kind) {
      case "noUpstream":
        this.send(completionError(invocationId, `No upstream handles invocations of '${target}' on hub '${this.caller.hub}'.`));
        return;
      case "message":
        // The upstream answers with a complete framed message in the caller's protocol.
        if ((!this.channel.open && !this.stateful) || this.overOutboundLimit()) return;
        this.writeSequenced(Buffer.from(answer.bytes.buffer, answer.bytes.byteOffset, answer.bytes.byteLength), this.protocol === "messagepack");
        this.deps.options.meter.outboundMessage(this.caller.hubKey, "client", answer.bytes.length);
        return;
      case "void":
        this.send(completionVoid(invocationId));
        return;
      case "failed":
        this.send(completionError(invocationId, answer.message));
        return;
      default: {
        const _never: never = answer;
        return _never;
      }
    }
  }

  // --- outbound, timers, ending -------------------------------------------------------------

  /** Sends one message in the connection's protocol; `billed` messages count in the meter (pings and closes do not). */
  private send(message: HubMessage, billed = message.kind !== "ping"): void {
    if (!this.channel.open && !(this.stateful && isSequenced(message.kind))) return;
    // The Close that ends a session goes out whatever is buffered; anything else respects the limit.
    if (message.kind !== "close" && this.overOutboundLimit()) return;
    const binary = this.protocol === "messagepack";
    const frame = binary ? serializeMessagePackMessage(message) : serializeJsonMessage(message);
    if (isSequenced(message.kind)) this.writeSequenced(frame, binary);
    else if (this.channel.open) this.channel.send(frame, binary);
    if (billed) this.deps.options.meter.outboundMessage(this.caller.hubKey, "client", typeof frame === "string" ? Buffer.byteLength(frame) : frame.length);
  }

  /** An unsequenced message (Ack, Sequence) straight to the socket. */
  private write(message: HubMessage): void {
    if (!this.channel.open) return;
    const binary = this.protocol === "messagepack";
    this.channel.send(binary ? serializeMessagePackMessage(message) : serializeJsonMessage(message), binary);
  }

  /** A sequenced message: kept until acked under stateful reconnect, sent when the socket is there. */
  private writeSequenced(frame: Buffer | string, binary: boolean): void {
    if (this.stateful && !this.keep(frame, binary)) {
      if (this.session && !this.done) {
        this.done = true;
        this.allowReconnect = true;
        this.deps.node.lifecycle.endOverLimit(this.session, "reliableBufferFull");
      }
      return;
    }
    if (this.channel.open) this.channel.send(frame, binary);
  }

  /** Numbers and keeps one sequenced message; false past the buffer limit. */
  private keep(frame: Buffer | string, binary: boolean): boolean {
    const size = typeof frame === "string" ? Buffer.byteLength(frame) : frame.length;
    if (this.unackedBytes + size > this.deps.settings.statefulReconnectBufferBytes) return false;
    this.sentSequence += 1;
    this.unacked.push({ id: this.sentSequence, bytes: frame, binary, size });
    this.unackedBytes += size;
    return true;
  }

  private acked(sequenceId: number): void {
    let drop = 0;
    while (drop < this.unacked.length && this.unacked[drop]!.id <= sequenceId) {
      this.unackedBytes -= this.unacked[drop]!.size;
      drop += 1;
    }
    if (drop > 0) this.unacked.splice(0, drop);
  }

  /** Acks what the client sent, at most once a second, as the client does. */
  private scheduleAck(): void {
    if (this.ackTimer !== undefined) return;
    this.ackTimer = this.deps.options.clock.setTimeout(() => {
      this.ackTimer = undefined;
      if (!this.done) this.write({ kind: "ack", sequenceId: this.latestReceived });
    }, 1000);
  }

  /**
   * True once the socket holds more than the outbound limit: a client that does not read its
   * Completions and pings. The core ends the session as it does for deliveries (a Close allowing
   * reconnect, 1008, counted in /metrics).
   */
  private overOutboundLimit(): boolean {
    if (this.channel.bufferedAmount <= this.deps.options.maxOutboundBytesPerConnection) return false;
    if (!this.done && this.session) {
      this.done = true;
      this.allowReconnect = true;
      this.deps.node.lifecycle.endOverLimit(this.session, "outboundLimit");
    }
    return true;
  }

  private scheduleKeepAlive(): void {
    const { clock } = this.deps.options;
    const { keepAliveIntervalMs, clientTimeoutMs } = this.deps.settings;
    this.timer = clock.setTimeout(() => {
      this.timer = undefined;
      if (this.done) return;
      if (clock.now() - this.lastReceivedAt >= clientTimeoutMs) {
        this.closeWithError(`The client sent nothing for ${clientTimeoutMs} ms.`, NORMAL_CLOSURE, true);
        return;
      }
      this.send({ kind: "ping" });
      this.scheduleKeepAlive();
    }, Math.min(keepAliveIntervalMs, clientTimeoutMs));
  }

  private closeWithError(reason: string, code: number, allowReconnect = false): void {
    this.allowReconnect = allowReconnect;
    this.endSession(reason, true, code);
  }

  private endSession(reason: string, notifyClient: boolean, closeCode?: number): void {
    if (this.done) return;
    this.done = true;
    if (this.session) this.deps.node.lifecycle.end(this.session, reason, { notifyClient, ...(closeCode === undefined ? {} : { closeCode }) });
    else this.channel.close(closeCode ?? NORMAL_CLOSURE, closeReason(reason));
  }

  private onSocketClosed(code: number): void {
    if (code === 1000 || code === 1001 || code === 1005) this.cleanClose = true;
    if (this.stateful && this.session && !this.done && !this.cleanClose) {
      // Kept for the client timeout: the keep-alive check ends it if no socket comes back.
      return;
    }
    this.stopTimers();
    this.done = true;
    if (this.session) this.deps.node.lifecycle.transportClosed(this.session, this.channel, code);
    else this.stateful?.forget(this); // no session ever opened: nothing else would forget it
  }

  private stopTimers(): void {
    const { clock } = this.deps.options;
    if (this.timer !== undefined) clock.clearTimeout(this.timer);
    if (this.handshakeTimer !== undefined) clock.clearTimeout(this.handshakeTimer);
    if (this.ackTimer !== undefined) clock.clearTimeout(this.ackTimer);
    this.timer = undefined;
    this.handshakeTimer = undefined;
    this.ackTimer = undefined;
  }
}
