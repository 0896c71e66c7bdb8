/**
 * Calls to the function app's HTTP triggers (negotiate, send, broadcast, group membership).
 * Every failure becomes a `FunctionCallError` carrying the status and the app's `{ code, message }`.
 */
export interface FunctionApiSettings {
  /** Base URL of the functions, including the route prefix, e.g. `http://localhost:7071/api`. */
  baseUrl: string;
  /** Function key for non-anonymous triggers; sent as `x-functions-key` when given. */
  functionKey: string;
}

export interface NegotiateResult {
  url: string;
  baseUrl: string;
  token: string;
  expiresOn?: string;
}

export type SendTarget =
  | { kind: "user"; userId: string }
  | { kind: "group"; group: string }
  | { kind: "connection"; connectionId: string }
  | { kind: "everyone" };

export interface OutgoingBody {
  contentType: string;
  bytes: Uint8Array;
}

export class FunctionCallError extends Error {
  override readonly name = "FunctionCallError";
  constructor(
    readonly status: number,
    readonly code: string,
    readonly serviceMessage: string,
  ) {
    super(`${status} ${code}: ${serviceMessage}`);
  }
}

function endpoint(settings: FunctionApiSettings, path: string, query: [string, string][] = []): string {
  const base = settings.baseUrl.replace(/\/+$/, "");
  const search = new URLSearchParams(query).toString();
  return `${base}/${path}${search ? `?${search}` : ""}`;
}

function keyHeaders(settings: FunctionApiSettings): Record<string, string> {
  return settings.functionKey ? { "x-functions-key": settings.functionKey } : {};
}

async function failure(response: Response): Promise<FunctionCallError> {
  const text = await response.text().catch(() => "");
  try {
    const body = JSON.parse(text) as { code?: unknown; message?: unknown };
    if (typeof body.code === "string") return new FunctionCallError(response.status, body.code, typeof body.message === "string" ? body.message : "");
  } catch {
    // not JSON: keep the raw text below
  }
  return new FunctionCallError(response.status, `Http${response.status}`, text.slice(0, 200));
}

async function call(url: string, init: RequestInit): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch {
    throw new FunctionCallError(0, "Unreachable", `Could not reach ${url}.`);
  }
  if (!response.ok) throw await failure(response);
  return response;
}

export async function negotiate(settings: FunctionApiSettings, userId: string, groups: string[], roles: string[]): Promise<NegotiateResult> {
  const query: [string, string][] = [];
  if (userId) query.push(["userId", userId]);
  for (const group of groups) query.push(["group", group]);
  for (const role of roles) query.push(["role", role]);
  const response = await call(endpoint(settings, "negotiate", query), { method: "GET", headers: keyHeaders(settings) });
  const body = (await response.json()) as NegotiateResult;
  if (typeof body.url !== "string") throw new FunctionCallError(response.status, "BadNegotiateResponse", "negotiate returned no url.");
  return body;
}

/** Ask the app to wrap the message with who sent it (`from`, the caller's user id) and where it went through. */
export interface SenderStampRequest {
  from: string | null;
}

export async function sendMessage(settings: FunctionApiSettings, target: SendTarget, body: OutgoingBody, stamp?: SenderStampRequest): Promise<void> {
  let path: string;
  let query: [string, string][];
  switch (target.kind) {
    case "user":
      [path, query] = ["send", [["userId", target.userId]]];
      break;
    case "group":
      [path, query] = ["send", [["group", target.group]]];
      break;
    case "connection":
      [path, query] = ["send", [["connectionId", target.connectionId]]];
      break;
    case "everyone":
      [path, query] = ["broadcast", []];
      break;
    default: {
      const _never: never = target;
      throw new Error(`unknown target ${String(_never)}`);
    }
  }
  if (stamp) query.push(["stamp", "sender"], ...(stamp.from ? ([["from", stamp.from]] as [string, string][]) : []));
  await call(endpoint(settings, path, query), {
    method: "POST",
    headers: { ...keyHeaders(settings), "content-type": body.contentType },
    body: body.bytes as BodyInit,
  });
}

/**
 * Joins or leaves a group for this page's own connection through the user-facing routes, which
 * apply the app's allow-list as negotiate does (the management routes are for server-side code).
 * The route acts only on a connection of the signed-in user: `userId` is that user in the
 * anonymous identity mode (as for negotiate); the other modes take it from the sign-in.
 */
export async function changeGroupMembership(settings: FunctionApiSettings, action: "join" | "leave", group: string, connectionId: string, userId: string | null): Promise<void> {
  const path = action === "join" ? "join-group" : "leave-group";
  const query: [string, string][] = [["group", group], ["connectionId", connectionId]];
  if (userId) query.push(["userId", userId]);
  await call(endpoint(settings, path, query), { method: "POST", headers: keyHeaders(settings) });
}

/** The service's HTTP origin from a negotiated client URL (`ws://host:8080/client/...` → `http://host:8080`). */
export function serviceOriginOf(clientUrl: string): string | undefined {
  try {
    const url = new URL(clientUrl);
    url.protocol = url.protocol === "wss:" ? "https:" : "http:";
    return url.origin;
  } catch {
    return undefined;
  }
}

/** Which managed service the function app uses (`GET /api/realtime-service`). */
export interface ServiceInfo {
  service: "webpubsub" | "signalr";
  hub: string;
}

export async function fetchServiceInfo(settings: FunctionApiSettings): Promise<ServiceInfo> {
  const response = await call(endpoint(settings, "realtime-service"), { method: "GET" });
  const body = (await response.json()) as Partial<ServiceInfo>;
  if (body.service !== "webpubsub" && body.service !== "signalr") {
    throw new FunctionCallError(response.status, "BadServiceInfo", "realtime-service named no known service.");
  }
  return { service: body.service, hub: typeof body.hub === "string" ? body.hub : "" };
}

/** GET a trigger's JSON answer (presence routes), with the function key when one is set. */
export async function getJson<T>(settings: FunctionApiSettings, path: string, query: [string, string][] = []): Promise<T> {
  const response = await call(endpoint(settings, path, query), { method: "GET", headers: keyHeaders(settings) });
  return (await response.json()) as T;
}
