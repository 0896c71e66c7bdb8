import { isOriginAllowed, parseAllowedOrigins } from "./allowed-origins";
import type { UpstreamHttpClient } from "./upstream-http-client";

export type HandshakeResult = { allowed: true } | { allowed: false; reason: string };

export interface HandshakeOptions {
  client: UpstreamHttpClient;
  /** `host[:port]` sent as `WebHook-Request-Origin`. */
  origin: () => string;
  timeoutMs: number;
  /** How long a refusal is remembered before the next event validates again (the handler may be starting). */
  refusalTtlMs: number;
  now: () => number;
  log: (line: string) => void;
}

/**
 * The abuse-protection handshake: OPTIONS with `WebHook-Request-Origin` and
 * `ce-awpsversion`, before the first event to a handler URL. Success is cached for good, a refusal
 * for `refusalTtlMs`; concurrent events to one URL share one handshake.
 */
export class AbuseProtectionHandshake {
  readonly #options: HandshakeOptions;
  readonly #cache = new Map<string, { result: Promise<HandshakeResult>; expiresAt: number }>();

  constructor(options: HandshakeOptions) {
    this.#options = options;
  }

  validate(validationUrl: string): Promise<HandshakeResult> {
    const cached = this.#cache.get(validationUrl);
    if (cached && cached.expiresAt > this.#options.now()) return cached.result;
    const entry = { result: this.#run(validationUrl), expiresAt: Number.POSITIVE_INFINITY };
    this.#cache.set(validationUrl, entry);
    void entry.result.then((result) => {
      if (!result.allowed) {
        entry.expiresAt = this.#options.now() + this.#options.refusalTtlMs;
        this.#options.log(`upstream: event handler ${redactQuery(validationUrl)} refused by abuse protection: ${result.reason}`);
      }
    });
    return entry.result;
  }

  async #run(url: string): Promise<HandshakeResult> {
    const origin = this.#options.origin();
    const headers = { "WebHook-Request-Origin": origin, "ce-awpsversion": "1.0" };
    let outcome = await this.#options.client.send({ method: "OPTIONS", url, headers, timeoutMs: this.#options.timeoutMs, maxResponseBytes: 64 * 1024 });
    // The official emulator falls back to GET when OPTIONS is not routed.
    if (outcome.ok && outcome.response.status === 404) {
      outcome = await this.#options.client.send({ method: "GET", url, headers, timeoutMs: this.#options.timeoutMs, maxResponseBytes: 64 * 1024 });
    }
    if (!outcome.ok) return { allowed: false, reason: outcome.failure.message };
    const { status, headers: responseHeaders } = outcome.response;
    if (status < 200 || status > 299) return { allowed: false, reason: `OPTIONS answered ${status}` };
    const allowed = parseAllowedOrigins(responseHeaders["webhook-allowed-origin"]);
    if (!isOriginAllowed(allowed, origin)) {
      const shown = allowed.length > 0 ? allowed.join(", ") : "none";
      return { allowed: false, reason: `WebHook-Allowed-Origin (${shown}) does not include ${origin}` };
    }
    return { allowed: true };
  }
}

/** Handler URLs may carry a Functions key in `?code=`; never log it. */
export function redactQuery(url: string): string {
  const at = url.indexOf("?");
  return at < 0 ? url : `${url.slice(0, at)}?…`;
}
