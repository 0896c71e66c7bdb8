import http from "node:http";
import https from "node:https";
import { AppError } from "../errors";
import { createServiceAgent } from "../service-agent";
import type { SignalRTokenSigner } from "./signalr-tokens";

/** The data-plane API version the current service SDK sends. */
export const signalRApiVersion = "2022-06-01";

export interface SignalRRestRequest {
  method: "GET" | "HEAD" | "POST" | "PUT" | "DELETE";
  /** Path after `/api/hubs/{hub}`, segments already encoded, e.g. `/users/alice/:send`. */
  path: string;
  /** Extra query (`excluded`, `reason`), repeatable keys as repeated pairs. */
  query?: readonly (readonly [string, string])[];
  /** JSON body (sends). */
  body?: unknown;
}

export interface SignalRRestResponse {
  status: number;
  /** `x-ms-error-code`: why an expected 404 is one (e.g. `Warning.Connection.NotExisted`). */
  errorCode: string | null;
}

export interface SignalRRestClientOptions {
  /** REST endpoint, ending in `/`. */
  endpoint: string;
  signer: SignalRTokenSigner;
  /** Abort a call after this long. @default 30_000 */
  timeoutMs?: number;
  /** Sockets kept open to the service; a burst of calls queues on them. @default maxServiceConnections (64) */
  maxSockets?: number;
}

/** One REST call: 2xx and 404 come back; every other answer or failure is a 502 `AppError`. */
export type SignalRRestCall = (request: SignalRRestRequest) => Promise<SignalRRestResponse>;

/** The REST calls of each hub, all sharing one signer and one bounded agent. */
export interface SignalRRestClient {
  forHub(hub: string): SignalRRestCall;
}

/** Most bytes of an error body kept for the message; the rest is drained unread. */
const maxErrorBodyBytes = 16 * 1024;

/**
 * The project's own small data-plane client (there is no official Node SDK for it): each call is
 * signed with a fresh REST token whose `aud` is the URL without the extra query, as the service
 * SDK signs it. Hubs are sent lowercased, as the SDK sends them. Calls share one keep-alive agent
 * with at most `maxSockets` sockets, so a burst queues instead of opening a socket per call.
 */
export function createSignalRRestClient(options: SignalRRestClientOptions): SignalRRestClient {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const origin = new URL(options.endpoint).origin;
  const secure = origin.startsWith("https:");
  const agent = createServiceAgent(secure, options.maxSockets);
  const forHub = (hub: string): SignalRRestCall => {
    const base = `${options.endpoint}api/hubs/${encodeURIComponent(hub.toLowerCase())}`;
    return (request) => call(base, request);
  };
  const call = async (base: string, request: SignalRRestRequest): Promise<SignalRRestResponse> => {
    const audience = `${base}${request.path}?api-version=${signalRApiVersion}`;
    const query = new URLSearchParams([["api-version", signalRApiVersion], ...(request.query ?? []).map(([k, v]) => [k, v])]);
    const headers: Record<string, string> = { authorization: `Bearer ${options.signer.restToken(audience)}` };
    let body: Buffer | undefined;
    if (request.body !== undefined) {
      body = Buffer.from(JSON.stringify(request.body), "utf8");
      headers["content-type"] = "application/json; charset=utf-8";
    }
    headers["content-length"] = String(body?.length ?? 0);
    let response: RawResponse;
    try {
      response = await send(secure, `${base}${request.path}?${query}`, { method: request.method, headers, agent, timeout: timeoutMs }, body);
    } catch (error) {
      const serviceCode = failureCode(error);
      throw new AppError("ServiceUnreachable", `Azure SignalR Service at ${origin} could not be reached (${serviceCode}).`, { serviceCode });
    }
    const errorCode = response.headers["x-ms-error-code"] ?? null;
    if ((response.status >= 200 && response.status < 300) || response.status === 404) return { status: response.status, errorCode };
    throw serviceError(response, errorCode);
  };
  return Object.freeze({ forHub });
}

interface RawResponse {
  status: number;
  headers: Record<string, string | undefined>;
  text: string;
}

function send(secure: boolean, url: string, init: http.RequestOptions, body: Buffer | undefined): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const request = (secure ? https : http).request(url, init, (response) => {
      const chunks: Buffer[] = [];
      let kept = 0;
      response.on("data", (chunk: Buffer) => {
        if (kept < maxErrorBodyBytes) chunks.push(chunk);
        kept += chunk.length;
      });
      response.on("end", () => {
        const headers: Record<string, string | undefined> = {};
        for (const [name, value] of Object.entries(response.headers)) headers[name] = Array.isArray(value) ? value.join(", ") : value;
        resolve({ status: response.statusCode ?? 0, headers, text: Buffer.concat(chunks).subarray(0, maxErrorBodyBytes).toString("utf8") });
      });
      response.on("error", reject);
    });
    request.on("timeout", () => request.destroy(Object.assign(new Error("timed out"), { code: "Timeout" })));
    request.on("error", reject);
    request.end(body);
  });
}

function serviceError(response: RawResponse, errorCode: string | null): AppError {
  let code = errorCode ?? undefined;
  let message = response.text;
  try {
    const parsed = JSON.parse(response.text) as { code?: unknown; message?: unknown };
    if (typeof parsed.code === "string") code ??= parsed.code;
    if (typeof parsed.message === "string") message = parsed.message;
  } catch {
    // Not JSON: the text is the message.
  }
  const serviceCode = code ?? `Http${response.status}`;
  const detail = message.length > 300 ? `${message.slice(0, 300)}…` : message || "no detail";
  return new AppError("ServiceError", `Azure SignalR Service answered ${response.status} ${serviceCode}: ${detail}`, {
    serviceStatus: response.status,
    serviceCode,
  });
}

function failureCode(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === "string" ? code : "NetworkError";
}
