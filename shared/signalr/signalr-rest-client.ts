import { AppError } from "../errors";
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
  hub: string;
  signer: SignalRTokenSigner;
  /** Abort a call after this long. @default 30_000 */
  timeoutMs?: number;
}

/** One REST call: 2xx and 404 come back; every other answer or failure is a 502 `AppError`. */
export type SignalRRestCall = (request: SignalRRestRequest) => Promise<SignalRRestResponse>;

/**
 * The project's own small data-plane client (there is no official Node SDK for it): each call is
 * signed with a fresh REST token whose `aud` is the URL without the extra query, as the service
 * SDK signs it. Hubs are sent lowercased, as the SDK sends them.
 */
export function createSignalRRestClient(options: SignalRRestClientOptions): SignalRRestCall {
  const base = `${options.endpoint}api/hubs/${encodeURIComponent(options.hub.toLowerCase())}`;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const origin = new URL(options.endpoint).origin;
  return async (request) => {
    const audience = `${base}${request.path}?api-version=${signalRApiVersion}`;
    const query = new URLSearchParams([["api-version", signalRApiVersion], ...(request.query ?? []).map(([k, v]) => [k, v])]);
    const headers: Record<string, string> = { authorization: `Bearer ${options.signer.restToken(audience)}` };
    let body: string | undefined;
    if (request.body !== undefined) {
      headers["content-type"] = "application/json; charset=utf-8";
      body = JSON.stringify(request.body);
    }
    let response: Response;
    try {
      response = await fetch(`${base}${request.path}?${query}`, { method: request.method, headers, body, signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      const serviceCode = failureCode(error);
      throw new AppError("ServiceUnreachable", `Azure SignalR Service at ${origin} could not be reached (${serviceCode}).`, { serviceCode });
    }
    const errorCode = response.headers.get("x-ms-error-code");
    if (response.ok || response.status === 404) {
      await response.body?.cancel();
      return { status: response.status, errorCode };
    }
    throw await serviceError(response, errorCode);
  };
}

async function serviceError(response: Response, errorCode: string | null): Promise<AppError> {
  const text = await response.text().catch(() => "");
  let code = errorCode ?? undefined;
  let message = text;
  try {
    const parsed = JSON.parse(text) as { code?: unknown; message?: unknown };
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
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) return "Timeout";
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  return typeof cause?.code === "string" ? cause.code : "NetworkError";
}
