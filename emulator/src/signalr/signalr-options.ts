import { InvalidOptionsError } from "../options";
import type { UpstreamTemplate } from "./upstream-templates";

/** Options of the SignalR face (`createServer({ service: "signalr", signalr: {...} })`). */
export interface SignalROptions {
  /** The service sends a Ping this often; the JS client only pings in reply to traffic. @default 15_000 */
  keepAliveIntervalMs?: number;
  /** A client that sends nothing for this long is closed. @default 30_000 */
  clientTimeoutMs?: number;
  /** A socket whose handshake has not arrived by then is closed. @default 15_000 */
  handshakeTimeoutMs?: number;
  /** How long a negotiated `connectionToken` waits for its WebSocket (single use). @default 30_000 */
  connectionTokenLifetimeMs?: number;
  /** Negotiated connections waiting for their WebSocket; past it negotiate answers 429. @default 10_000 */
  maxPendingConnections?: number;
  /** Client invocations of one connection waiting for the upstream; past it they get an error Completion. @default 32 */
  maxInvocationsInFlight?: number;
  /** Upstream URL templates, first match wins (settings file `UpstreamSettings.Templates`). @default [] */
  upstream?: readonly UpstreamTemplate[];
  /** Upstream request timeout. @default 30_000 */
  upstreamTimeoutMs?: number;
  /** Largest upstream response body relayed to a client. @default 16_777_216 */
  maxUpstreamResponseBytes?: number;
  /**
   * A message larger than this goes to WebSocket clients as one fragmented WebSocket message whose
   * frames carry at most this many payload bytes, as Azure SignalR Service splits messages into
   * 2 KB frames; 0 sends every message as one frame. @default 2048
   */
  webSocketFragmentBytes?: number;
  /** How long the service holds a Long Polling poll open when it has nothing to send. @default 90_000 */
  longPollTimeoutMs?: number;
  /** A Long Polling connection with no poll for this long is closed (Azure's 5 s poll interval). @default 5_000 */
  longPollGraceMs?: number;
  /**
   * Stateful reconnect: bytes of messages a connection keeps until the client acks them (it acks
   * about once a second); one more ends the connection. @default 1_048_576
   */
  statefulReconnectBufferBytes?: number;
}

export type ResolvedSignalROptions = Readonly<Required<SignalROptions>>;

function positive(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) throw new InvalidOptionsError(`signalr.${name} must be a positive integer, got ${String(value)}`);
  return value;
}

function nonNegative(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) throw new InvalidOptionsError(`signalr.${name} must be a non-negative integer, got ${String(value)}`);
  return value;
}

export function resolveSignalROptions(options: SignalROptions = {}): ResolvedSignalROptions {
  const upstream = options.upstream ?? [];
  for (const template of upstream) {
    if (typeof template.urlTemplate !== "string" || !/^https?:\/\//i.test(template.urlTemplate)) {
      throw new InvalidOptionsError(`signalr.upstream: UrlTemplate must be an absolute http(s) URL, got ${JSON.stringify(template.urlTemplate)}`);
    }
  }
  return Object.freeze({
    keepAliveIntervalMs: positive("keepAliveIntervalMs", options.keepAliveIntervalMs ?? 15_000),
    clientTimeoutMs: positive("clientTimeoutMs", options.clientTimeoutMs ?? 30_000),
    handshakeTimeoutMs: positive("handshakeTimeoutMs", options.handshakeTimeoutMs ?? 15_000),
    connectionTokenLifetimeMs: positive("connectionTokenLifetimeMs", options.connectionTokenLifetimeMs ?? 30_000),
    maxPendingConnections: positive("maxPendingConnections", options.maxPendingConnections ?? 10_000),
    maxInvocationsInFlight: positive("maxInvocationsInFlight", options.maxInvocationsInFlight ?? 32),
    upstream: Object.freeze([...upstream]),
    upstreamTimeoutMs: positive("upstreamTimeoutMs", options.upstreamTimeoutMs ?? 30_000),
    maxUpstreamResponseBytes: positive("maxUpstreamResponseBytes", options.maxUpstreamResponseBytes ?? 16 * 1024 * 1024),
    webSocketFragmentBytes: nonNegative("webSocketFragmentBytes", options.webSocketFragmentBytes ?? 2048),
    longPollTimeoutMs: positive("longPollTimeoutMs", options.longPollTimeoutMs ?? 90_000),
    longPollGraceMs: positive("longPollGraceMs", options.longPollGraceMs ?? 5_000),
    statefulReconnectBufferBytes: positive("statefulReconnectBufferBytes", options.statefulReconnectBufferBytes ?? 1_048_576),
  });
}
