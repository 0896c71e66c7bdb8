import { signConnectionId } from "../../../common/cloud-events-signature";
import { encodeHeaderText } from "../../../common/header-text";
import type { ServiceMeter } from "../metering/service-meter";
import type { ServiceLogger } from "../options";
import { upstreamUrl, type UpstreamCategory, type UpstreamTemplate } from "./upstream-templates";

/** What the upstream is told about the connection behind an event. */
export interface UpstreamCaller {
  /** The core hub key (metering). */
  hubKey: string;
  /** The public hub name, lowercased (`X-ASRS-Hub`). */
  hub: string;
  connectionId: string;
  userId: string | null;
  claims: ReadonlyArray<readonly [string, string]>;
  /** The connect request's query with its leading `?`, `access_token` removed. */
  query: string;
}

/** The upstream's answer to a client invocation. */
export type InvocationAnswer =
  | { kind: "noUpstream" }
  /** 200 with a body: a complete framed hub message, relayed to the caller as is. */
  | { kind: "message"; bytes: Buffer }
  /** 200 with no body, or 204. */
  | { kind: "void" }
  | { kind: "failed"; message: string };

export interface SignalRUpstreamDeps {
  templates: readonly UpstreamTemplate[];
  /** Every configured key signs `X-ASRS-Signature` (primary first). */
  accessKeys: readonly string[];
  meter: ServiceMeter;
  logger: ServiceLogger;
  timeoutMs: number;
  maxResponseBytes: number;
}

/**
 * Claims as one header value, `type: value` pairs joined by `, ` (the form the Functions extension
 * parses), header-safe: any Unicode in a claim travels as UTF-8 bytes (`encodeHeaderText`).
 */
export function claimsHeader(claims: ReadonlyArray<readonly [string, string]>): string {
  return encodeHeaderText(claims.map(([type, value]) => `${type}: ${value}`).join(", "));
}

/**
 * Calls the SignalR upstream (service → app): `connected` and `disconnected` in the `connections`
 * category, client invocations in `messages`, each to the first matching URL template.
 */
export class SignalRUpstream {
  private readonly aborts = new Set<AbortController>();

  constructor(private readonly deps: SignalRUpstreamDeps) {}

  get configured(): boolean {
    return this.deps.templates.length > 0;
  }

  connected(caller: UpstreamCaller): void {
    void this.notify(caller, "connected", '{"type":10}');
  }

  disconnected(caller: UpstreamCaller, error: string | undefined): void {
    void this.notify(caller, "disconnected", JSON.stringify(error === undefined ? { type: 11 } : { type: 11, error }));
  }

  private async notify(caller: UpstreamCaller, event: "connected" | "disconnected", body: string): Promise<void> {
    const url = upstreamUrl(this.deps.templates, caller.hub, "connections", event);
    if (!url) return;
    const outcome = await this.post(url, caller, "connections", event, Buffer.from(body, "utf8"), "application/json");
    if (outcome.kind === "failed") this.deps.logger.warn(`upstream ${event} for ${caller.connectionId}: ${outcome.message}`);
    else if (outcome.status >= 300) this.deps.logger.warn(`upstream ${event} for ${caller.connectionId}: status ${outcome.status}`);
  }

  /** Sends a client invocation (`body` is the bare message as the client sent it); `cancel` aborts it (the connection ended). */
  async invoke(
    caller: UpstreamCaller,
    target: string,
    body: Uint8Array,
    contentType: "application/json" | "application/x-msgpack",
    cancel?: AbortSignal,
  ): Promise<InvocationAnswer> {
    const url = upstreamUrl(this.deps.templates, caller.hub, "messages", target);
    if (!url) return { kind: "noUpstream" };
    const outcome = await this.post(url, caller, "messages", target, body, contentType, cancel);
    if (outcome.kind === "failed") return { kind: "failed", message: `Invocation failed, ${outcome.message}` };
    if (outcome.status === 204 || (outcome.status === 200 && outcome.body.length === 0)) return { kind: "void" };
    if (outcome.status === 200) return { kind: "message", bytes: outcome.body };
    // The cloud service's text for a non-200 answer.
    return { kind: "failed", message: `Invocation failed, status code ${outcome.status}` };
  }

  private async post(
    url: string,
    caller: UpstreamCaller,
    category: UpstreamCategory,
    event: string,
    body: Uint8Array,
    contentType: string,
    cancel?: AbortSignal,
  ): Promise<{ kind: "answered"; status: number; body: Buffer } | { kind: "failed"; message: string }> {
    // Values a client chose (user id, claims, query, invoked method name) may hold any Unicode:
    // they go out as UTF-8 bytes, which Node's HTTP client accepts and the app decodes.
    const headers: Record<string, string> = {
      "content-type": contentType,
      "x-asrs-connection-id": caller.connectionId,
      "x-asrs-hub": caller.hub,
      "x-asrs-category": category,
      "x-asrs-event": encodeHeaderText(event),
      "x-asrs-client-query": encodeHeaderText(caller.query),
      // The same `sha256=<hex HMAC of the connection id>` per key as Web PubSub's `ce-signature`.
      "x-asrs-signature": signConnectionId(this.deps.accessKeys, caller.connectionId),
    };
    if (caller.userId !== null) headers["x-asrs-user-id"] = encodeHeaderText(caller.userId);
    if (caller.claims.length > 0) headers["x-asrs-user-claims"] = claimsHeader(caller.claims);
    if (cancel?.aborted) return { kind: "failed", message: "the connection ended." };
    // Upstream calls are outbound traffic, billed like a message to a client.
    this.deps.meter.outboundMessage(caller.hubKey, "upstream", body.byteLength);
    const abort = new AbortController();
    this.aborts.add(abort);
    const onCancel = (): void => abort.abort();
    cancel?.addEventListener("abort", onCancel, { once: true });
    const timer = setTimeout(() => abort.abort(), this.deps.timeoutMs);
    timer.unref();
    const started = process.hrtime.bigint();
    try {
      const response = await fetch(url, { method: "POST", headers, body: Buffer.from(body.buffer, body.byteOffset, body.byteLength) as unknown as BodyInit, signal: abort.signal });
      const bytes = await this.readCapped(response);
      if (bytes === null) return { kind: "failed", message: "response too large." };
      return { kind: "answered", status: response.status, body: bytes };
    } catch (error) {
      if (cancel?.aborted) return { kind: "failed", message: "the connection ended." };
      return { kind: "failed", message: abort.signal.aborted ? "the upstream did not answer in time." : `the upstream could not be reached (${(error as Error).message}).` };
    } finally {
      clearTimeout(timer);
      cancel?.removeEventListener("abort", onCancel);
      this.aborts.delete(abort);
      this.deps.meter.upstreamLatency(event, Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  private async readCapped(response: Response): Promise<Buffer | null> {
    if (!response.body) return Buffer.alloc(0);
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      total += chunk.byteLength;
      if (total > this.deps.maxResponseBytes) {
        await response.body.cancel().catch(() => {});
        return null;
      }
      chunks.push(Buffer.from(chunk));
    }
    return Buffer.concat(chunks, total);
  }

  /** Aborts every request in flight (service shutdown). */
  close(): void {
    for (const abort of this.aborts) abort.abort();
    this.aborts.clear();
  }
}
