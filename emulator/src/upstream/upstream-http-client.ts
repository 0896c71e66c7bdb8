import http from "node:http";
import https from "node:https";

export interface UpstreamHttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** Why an upstream request produced no usable response. */
export type UpstreamTransportFailure =
  | { kind: "network"; message: string }
  | { kind: "timeout"; message: string }
  | { kind: "response-too-large"; message: string }
  | { kind: "invalid-request"; message: string }
  | { kind: "aborted"; message: string };

export type UpstreamHttpResult = { ok: true; response: UpstreamHttpResponse } | { ok: false; failure: UpstreamTransportFailure };

export interface UpstreamHttpRequest {
  method: "POST" | "OPTIONS" | "GET";
  url: string;
  headers: Record<string, string>;
  body?: Uint8Array;
  timeoutMs: number;
  /** Aborts the exchange (the caller no longer wants the answer); the request is destroyed. @default none */
  signal?: AbortSignal;
  /** A response body longer than this is abandoned and reported as `response-too-large`. */
  maxResponseBytes: number;
}

const STALE_SOCKET = Symbol("stale keep-alive socket");

/**
 * One HTTP exchange with an event handler. Owns its keep-alive agents, so `close()` releases every
 * socket (the service must not keep the process alive after it closes).
 */
export class UpstreamHttpClient {
  readonly #httpAgent = new http.Agent({ keepAlive: true });
  readonly #httpsAgent = new https.Agent({ keepAlive: true });
  readonly #pending = new Set<http.ClientRequest>();

  async send(request: UpstreamHttpRequest): Promise<UpstreamHttpResult> {
    const first = await this.#sendOnce(request);
    // A keep-alive socket the handler closed while idle fails at once; that is no attempt at all.
    if (first !== STALE_SOCKET) return first;
    const second = await this.#sendOnce(request);
    return second === STALE_SOCKET ? { ok: false, failure: { kind: "network", message: "connection reset by the event handler" } } : second;
  }

  #sendOnce(request: UpstreamHttpRequest): Promise<UpstreamHttpResult | typeof STALE_SOCKET> {
    return new Promise((resolve) => {
      let settled = false;
      let responded = false;
      const finish = (result: UpstreamHttpResult | typeof STALE_SOCKET): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.#pending.delete(req);
        resolve(result);
      };
      const url = new URL(request.url);
      const transport = url.protocol === "https:" ? https : http;
      const headers: Record<string, string | number> = { ...request.headers };
      if (request.body) headers["Content-Length"] = request.body.byteLength;
      let req: http.ClientRequest;
      try {
        req = transport.request(url, {
          method: request.method,
          headers,
          agent: url.protocol === "https:" ? this.#httpsAgent : this.#httpAgent,
        });
      } catch (error) {
        // Node validates headers synchronously (ERR_INVALID_CHAR); a request it refuses is an answer, never a throw.
        settled = true;
        resolve({ ok: false, failure: { kind: "invalid-request", message: `the request could not be sent: ${(error as Error).message}` } });
        return;
      }
      this.#pending.add(req);
      const abort = (): void => {
        finish({ ok: false, failure: { kind: "aborted", message: "the request was cancelled" } });
        req.destroy();
      };
      if (request.signal?.aborted) {
        queueMicrotask(abort);
      } else {
        request.signal?.addEventListener("abort", abort, { once: true });
        req.once("close", () => request.signal?.removeEventListener("abort", abort));
      }
      const timer = setTimeout(() => {
        finish({ ok: false, failure: { kind: "timeout", message: `no response from ${url.origin} within ${request.timeoutMs} ms` } });
        req.destroy();
      }, request.timeoutMs);
      req.on("error", (error: NodeJS.ErrnoException) => {
        if (req.reusedSocket && error.code === "ECONNRESET" && !responded) return finish(STALE_SOCKET);
        finish({ ok: false, failure: { kind: "network", message: `${url.origin}: ${error.message}` } });
      });
      req.on("response", (res) => {
        responded = true;
        const chunks: Buffer[] = [];
        let length = 0;
        res.on("data", (chunk: Buffer) => {
          length += chunk.length;
          if (length > request.maxResponseBytes) {
            finish({
              ok: false,
              failure: { kind: "response-too-large", message: `event handler response exceeds ${request.maxResponseBytes} bytes` },
            });
            res.destroy();
            req.destroy();
            return;
          }
          chunks.push(chunk);
        });
        res.on("end", () => finish({ ok: true, response: { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks, length) } }));
        res.on("error", (error) => finish({ ok: false, failure: { kind: "network", message: `${url.origin}: ${error.message}` } }));
      });
      req.end(request.body);
    });
  }

  close(): void {
    for (const req of this.#pending) req.destroy(new Error("upstream dispatcher closed"));
    this.#pending.clear();
    this.#httpAgent.destroy();
    this.#httpsAgent.destroy();
  }
}
