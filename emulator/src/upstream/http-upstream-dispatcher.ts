import { randomUUID } from "node:crypto";
import type { DataType } from "../cluster/commands";
import { AbuseProtectionHandshake, redactQuery } from "./abuse-protection-handshake";
import { buildCloudEventHeaders, contentTypeForDataType, dataTypeForContentType } from "./cloud-event-headers";
import { parseConnectResponse } from "./connect-response";
import { expandUrlTemplate, findHandler, type UpstreamEventKey } from "./event-handler-match";
import { resolveUpstreamOptions, type ResolvedUpstreamOptions, type UpstreamDispatcherOptions } from "./upstream-dispatcher-options";
import type { ConnectEventRequest, ConnectOutcome, InvokeOptions, InvokeOutcome, UpstreamConnection, UpstreamDispatcher, UserEventOutcome } from "./upstream-dispatcher";
import { UpstreamHttpClient, type UpstreamHttpResponse, type UpstreamTransportFailure } from "./upstream-http-client";
import { handlersForHub } from "./upstream-settings";

/** Result of delivering one event, after handshake and retries. */
type Delivery =
  | { kind: "no-handler" }
  | { kind: "response"; response: UpstreamHttpResponse }
  /** `transport`: why the one attempt of a single-shot delivery got no answer, when it got none. */
  | { kind: "failed"; message: string; transport?: UpstreamTransportFailure["kind"] };

/** One attempt only, with its own timeout and abort signal (an invoke: at-most-once side effects). */
interface SingleAttempt {
  timeoutMs: number;
  signal: AbortSignal;
}

/**
 * The `UpstreamDispatcher` that sends CloudEvents over HTTP to the event handlers configured per
 * hub: abuse-protection handshake, signed headers, retries with backoff, 1 MiB caps.
 */
export function createUpstreamDispatcher(options: UpstreamDispatcherOptions): UpstreamDispatcher {
  return new HttpUpstreamDispatcher(resolveUpstreamOptions(options, randomUUID));
}

class HttpUpstreamDispatcher implements UpstreamDispatcher {
  readonly #options: ResolvedUpstreamOptions;
  readonly #client = new UpstreamHttpClient();
  readonly #handshake: AbuseProtectionHandshake;
  readonly #timers = new Set<{ timer: NodeJS.Timeout; wake: () => void }>();
  readonly #background = new Set<Promise<void>>();
  /**
   * The last system event of each connection still being delivered (retries included), by hub and
   * connection: each next one waits for it, so a handler sees `connected`, then `joined` / `left`,
   * then `disconnected`, in that order. An entry lives only while its delivery runs, so the map
   * holds at most the open deliveries.
   */
  readonly #systemChains = new Map<string, Promise<void>>();
  #closed = false;

  constructor(options: ResolvedUpstreamOptions) {
    this.#options = options;
    this.#handshake = new AbuseProtectionHandshake({
      client: this.#client,
      origin: options.origin,
      timeoutMs: options.handshakeTimeoutMs,
      refusalTtlMs: options.handshakeRefusalTtlMs,
      now: options.now,
      log: options.log,
    });
  }

  async connect(connection: UpstreamConnection, request: ConnectEventRequest): Promise<ConnectOutcome> {
    const body = Buffer.from(JSON.stringify(request), "utf8");
    if (body.byteLength > this.#options.maxEventBytes) {
      return { kind: "reject", status: 431, message: `The connect request exceeds ${this.#options.maxEventBytes} bytes.` };
    }
    const delivery = await this.#deliver(connection, { kind: "system", name: "connect" }, body, "application/json");
    switch (delivery.kind) {
      case "no-handler":
        return { kind: "accept" };
      case "failed":
        return { kind: "reject", status: 500, message: delivery.message };
      case "response": {
        const { status, body: responseBody, headers } = delivery.response;
        if (status >= 200 && status <= 299) return parseConnectResponse(responseBody, headerValue(headers["ce-connectionstate"]));
        const detail = responseBody.toString("utf8").slice(0, 512).trim();
        return { kind: "reject", status, message: detail || `The connect event handler answered ${status}.` };
      }
      default: {
        const _never: never = delivery;
        return _never;
      }
    }
  }

  connected(connection: UpstreamConnection): void {
    this.#inOrder(connection, { kind: "system", name: "connected" }, Buffer.from("{}"));
  }

  disconnected(connection: UpstreamConnection, reason: string): void {
    this.#inOrder(connection, { kind: "system", name: "disconnected" }, Buffer.from(JSON.stringify({ reason }), "utf8"));
  }

  groupChanged(connection: UpstreamConnection, group: string, joined: boolean): void {
    const event: UpstreamEventKey = { kind: "system", name: joined ? "joined" : "left" };
    // Nothing is queued for a hub whose handlers do not want presence.
    if (!findHandler(handlersForHub(this.#options.settings, connection.hub), event)) return;
    this.#inOrder(connection, event, Buffer.from(JSON.stringify({ group }), "utf8"));
  }

  /** A fire-and-forget system event, sent after the connection's previous one. */
  #inOrder(connection: UpstreamConnection, event: UpstreamEventKey, body: Buffer): void {
    const key = `${connection.hub}\u0000${connection.connectionId}`;
    const task = this.#fireAndForget(connection, event, body, this.#systemChains.get(key));
    this.#systemChains.set(key, task);
    void task.finally(() => {
      if (this.#systemChains.get(key) === task) this.#systemChains.delete(key);
    });
  }

  async userEvent(connection: UpstreamConnection, eventName: string, dataType: DataType, data: Uint8Array): Promise<UserEventOutcome> {
    const event: UpstreamEventKey = { kind: "user", name: eventName };
    if (!findHandler(handlersForHub(this.#options.settings, connection.hub), event)) return { kind: "unhandled" };
    // The core refuses oversized client frames first; this guards the cap for any other caller.
    if (data.byteLength > this.#options.maxEventBytes) {
      return { kind: "failed", message: `The event payload of ${data.byteLength} bytes exceeds the ${this.#options.maxEventBytes}-byte upstream limit.` };
    }
    this.#options.meter.outboundMessage(connection.hub, "upstream", data.byteLength);
    const delivery = await this.#deliver(connection, event, data, contentTypeForDataType(dataType));
    switch (delivery.kind) {
      case "no-handler":
        return { kind: "unhandled" };
      case "failed":
        return { kind: "failed", message: delivery.message };
      case "response": {
        const { status, body, headers } = delivery.response;
        if (status < 200 || status > 299) {
          const detail = body.toString("utf8").slice(0, 512).trim();
          return { kind: "failed", message: `The event handler answered ${status}${detail ? `: ${detail}` : "."}` };
        }
        const connectionState = headerValue(headers["ce-connectionstate"]);
        const outcome: UserEventOutcome = { kind: "handled" };
        if (connectionState !== undefined) outcome.connectionState = connectionState;
        if (status !== 204 && body.byteLength > 0) {
          outcome.response = { dataType: dataTypeForContentType(headerValue(headers["content-type"])), data: new Uint8Array(body) };
        }
        return outcome;
      }
      default: {
        const _never: never = delivery;
        return _never;
      }
    }
  }

  async invoke(
    connection: UpstreamConnection,
    eventName: string,
    payload: { dataType: DataType; data: Uint8Array } | undefined,
    options: InvokeOptions,
  ): Promise<InvokeOutcome> {
    const event: UpstreamEventKey = { kind: "user", name: eventName };
    const notFound: InvokeOutcome = { kind: "error", name: "NotFound", message: `No event handler is configured for event '${eventName}'.` };
    if (!findHandler(handlersForHub(this.#options.settings, connection.hub), event)) return notFound;
    const data = payload?.data ?? new Uint8Array(0);
    if (data.byteLength > this.#options.maxEventBytes) {
      return { kind: "error", name: "BadRequest", message: `The invoke payload of ${data.byteLength} bytes exceeds the ${this.#options.maxEventBytes}-byte upstream limit.` };
    }
    this.#options.meter.outboundMessage(connection.hub, "upstream", data.byteLength);
    // No payload still sends a Content-Type: @azure/web-pubsub-express drops a user event without one.
    const contentType = payload ? contentTypeForDataType(payload.dataType) : "application/octet-stream";
    const delivery = await this.#deliver(connection, event, data, contentType, options);
    switch (delivery.kind) {
      case "no-handler":
        return notFound;
      case "failed":
        if (delivery.transport === "aborted") return { kind: "cancelled" };
        if (delivery.transport === "timeout") return { kind: "error", name: "Timeout", message: `The event handler did not respond within ${options.timeoutMs} ms.` };
        return { kind: "error", name: "InternalServerError", message: delivery.message };
      case "response":
        return invokeOutcomeOf(delivery.response);
      default: {
        const _never: never = delivery;
        return _never;
      }
    }
  }

  async close(): Promise<void> {
    // Fire-and-forget events already under way (the `disconnected` of every session a shutting-down
    // service ends) get a short grace period before their requests are cut.
    if (this.#background.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.#options.closeGraceMs)));
      await Promise.race([Promise.allSettled([...this.#background]), grace]);
      clearTimeout(timer);
    }
    this.#closed = true;
    for (const entry of this.#timers) {
      clearTimeout(entry.timer);
      entry.wake();
    }
    this.#timers.clear();
    this.#client.close();
    await Promise.allSettled([...this.#background]);
  }

  #fireAndForget(connection: UpstreamConnection, event: UpstreamEventKey, body: Buffer, after?: Promise<void>): Promise<void> {
    // Nothing a client sends may turn into an unhandled rejection: that would end the process.
    const deliver = (): Promise<Delivery> => this.#deliver(connection, event, body, "application/json");
    const task = (after ? after.then(deliver) : deliver()).then(
      (delivery) => {
        if (delivery.kind === "failed") this.#options.log(`upstream: ${event.name} event for ${connection.connectionId} not delivered: ${delivery.message}`);
      },
      (error: unknown) => this.#options.log(`upstream: ${event.name} event for ${connection.connectionId} not delivered: ${(error as Error).message}`),
    );
    this.#background.add(task);
    void task.finally(() => this.#background.delete(task));
    return task;
  }

  async #deliver(connection: UpstreamConnection, event: UpstreamEventKey, body: Uint8Array, contentType: string, single?: SingleAttempt): Promise<Delivery> {
    const handler = findHandler(handlersForHub(this.#options.settings, connection.hub), event);
    if (!handler) return { kind: "no-handler" };
    if (this.#closed) return { kind: "failed", message: "The service is shutting down." };
    const started = performance.now();
    try {
      const handshake = await this.#handshake.validate(expandUrlTemplate(handler.urlTemplate, connection.hub, "validate"));
      if (!handshake.allowed) return { kind: "failed", message: "The event handler refused the service's origin (abuse protection)." };
      const url = expandUrlTemplate(handler.urlTemplate, connection.hub, event.name);
      return await (single ? this.#postOnce(url, connection, event, body, contentType, single) : this.#postWithRetries(url, connection, event, body, contentType));
    } finally {
      this.#options.meter.upstreamLatency(event.kind === "system" ? event.name : "user", (performance.now() - started) / 1000);
    }
  }

  #headers(connection: UpstreamConnection, event: UpstreamEventKey, contentType: string): Record<string, string> {
    const o = this.#options;
    return buildCloudEventHeaders({
      event,
      hub: connection.hub,
      connectionId: connection.connectionId,
      userId: connection.userId,
      subprotocol: connection.subprotocol,
      connectionState: connection.connectionState,
      id: o.newEventId(),
      time: o.now(),
      origin: o.origin(),
      accessKeys: o.accessKeys,
      contentType,
    });
  }

  async #postOnce(url: string, connection: UpstreamConnection, event: UpstreamEventKey, body: Uint8Array, contentType: string, single: SingleAttempt): Promise<Delivery> {
    const headers = this.#headers(connection, event, contentType);
    const result = await this.#client.send({ method: "POST", url, headers, body, timeoutMs: single.timeoutMs, maxResponseBytes: this.#options.maxResponseBytes, signal: single.signal });
    if (result.ok) return { kind: "response", response: result.response };
    const { kind, message } = result.failure;
    return { kind: "failed", transport: kind, message: kind === "response-too-large" ? `The ${message}.` : "Dispatching the event failed." };
  }

  async #postWithRetries(url: string, connection: UpstreamConnection, event: UpstreamEventKey, body: Uint8Array, contentType: string): Promise<Delivery> {
    const o = this.#options;
    const headers = this.#headers(connection, event, contentType);
    let lastProblem = "";
    for (let attempt = 0; attempt <= o.retryDelaysMs.length; attempt++) {
      if (attempt > 0) await this.#sleep(o.retryDelaysMs[attempt - 1]!);
      if (this.#closed) return { kind: "failed", message: "The service is shutting down." };
      const result = await this.#client.send({ method: "POST", url, headers, body, timeoutMs: o.requestTimeoutMs, maxResponseBytes: o.maxResponseBytes });
      if (result.ok) {
        const status = result.response.status;
        if (status !== 408 && status < 500) return { kind: "response", response: result.response };
        lastProblem = `answered ${status}`;
        if (attempt === o.retryDelaysMs.length) {
          o.log(`upstream: ${event.name} event to ${redactQuery(url)} failed after ${attempt + 1} attempts: ${lastProblem}`);
          return { kind: "response", response: result.response };
        }
      } else {
        if (result.failure.kind === "response-too-large") return { kind: "failed", message: `The ${result.failure.message}.` };
        if (result.failure.kind === "invalid-request") return { kind: "failed", message: `The event could not be sent: ${result.failure.message}.` };
        lastProblem = result.failure.message;
      }
    }
    o.log(`upstream: ${event.name} event to ${redactQuery(url)} failed after ${o.retryDelaysMs.length + 1} attempts: ${lastProblem}`);
    return { kind: "failed", message: `The event handler could not be reached: ${lastProblem}.` };
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.#timers.delete(entry);
          resolve();
        }, ms),
        wake: resolve,
      };
      this.#timers.add(entry);
    });
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

const INVOKE_ERROR_NAMES: Readonly<Record<number, string>> = { 400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 408: "Timeout", 504: "Timeout" };

/** The handler's HTTP answer to an invoke, as the `invokeResponse` reports it. */
export function invokeOutcomeOf(response: UpstreamHttpResponse): InvokeOutcome {
  const { status, body, headers } = response;
  if (status < 200 || status > 299) {
    const detail = body.toString("utf8").slice(0, 1024).trim();
    return { kind: "error", name: INVOKE_ERROR_NAMES[status] ?? "InternalServerError", message: detail || `The event handler returned ${status}.` };
  }
  const connectionState = headerValue(headers["ce-connectionstate"]);
  const state = connectionState === undefined ? {} : { connectionState };
  if (body.byteLength === 0 || status === 204) return { kind: "success", ...state };
  const mediaType = (headerValue(headers["content-type"]) ?? "").split(";")[0]!.trim().toLowerCase();
  if (mediaType === "application/json") {
    try {
      JSON.parse(body.toString("utf8"));
    } catch {
      return { kind: "error", name: "InternalServerError", message: "The event handler returned invalid JSON." };
    }
    return { kind: "success", response: { dataType: "json", data: new Uint8Array(body) }, ...state };
  }
  if (mediaType === "text/plain" || mediaType === "") return { kind: "success", response: { dataType: "text", data: new Uint8Array(body) }, ...state };
  if (mediaType === "application/octet-stream") return { kind: "success", response: { dataType: "binary", data: new Uint8Array(body) }, ...state };
  return { kind: "error", name: "InternalServerError", message: `The event handler returned the unsupported content type ${mediaType}.` };
}
