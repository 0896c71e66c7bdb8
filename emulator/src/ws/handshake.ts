import { randomBytes } from "node:crypto";
import type { KeyObject } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { verifyClientToken } from "../auth/client-token";
import { verifyReconnectionToken } from "../auth/reconnection-token";
import type { ClientSession } from "../node/client-session";
import type { ResolvedServiceOptions } from "../options";
import { chooseSubprotocol, type ProtocolKind } from "../protocol/client-message";
import type { ConnectEventRequest } from "../upstream/upstream-dispatcher";
import { parseClientPath } from "./client-path";
import { nameRecord } from "../name-record";

export interface NewConnection {
  hub: string;
  connectionId: string;
  userId: string | null;
  roles: string[];
  groups: string[];
  protocol: ProtocolKind;
  subprotocol?: string;
  connectionState?: string;
}

export type HandshakeDecision =
  | { kind: "refuse"; status: number; reason: string }
  | { kind: "accept"; connection: NewConnection }
  | { kind: "recover"; session: ClientSession }
  /** Accept the upgrade, then close with 1008 (the client then starts afresh). */
  | { kind: "recoveryFailed"; subprotocol?: string; reason: string };

export interface HandshakeDeps {
  options: ResolvedServiceOptions;
  /** The access keys as HMAC keys, primary first: made once by the server, not per handshake. */
  tokenKeys: readonly KeyObject[];
  findRecoverable(hub: string, connectionId: string): ClientSession | undefined;
}

/** Cluster-unique connection ids: 16 random bytes. */
export function newConnectionId(): string {
  return randomBytes(16).toString("base64url");
}

function offeredSubprotocols(req: IncomingMessage): string[] {
  const header = req.headers["sec-websocket-protocol"];
  return header ? header.split(",").map((p) => p.trim()).filter(Boolean) : [];
}

function multiValues(entries: Iterable<[string, string]>): Record<string, string[]> {
  const result = nameRecord<string[]>();
  for (const [key, value] of entries) (result[key] ??= []).push(value);
  return result;
}

function bearerToken(req: IncomingMessage, url: URL): string | null {
  const fromQuery = url.searchParams.get("access_token");
  if (fromQuery) return fromQuery;
  const header = req.headers.authorization;
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return match ? match[1]! : null;
}

/** The upgrade's guard clauses, in order: path, hub, recovery, token, quota, connect event. */
export async function decideHandshake(req: IncomingMessage, deps: HandshakeDeps): Promise<HandshakeDecision> {
  const { options } = deps;
  const url = new URL(req.url ?? "/", "http://localhost");
  const path = parseClientPath(url);
  if (path.kind === "notFound") return { kind: "refuse", status: 404, reason: `No client endpoint at ${url.pathname}.` };
  if (path.kind === "badHub") return { kind: "refuse", status: 400, reason: "Invalid hub name: it must match ^[A-Za-z][A-Za-z0-9_`,.[\\]]{0,127}$." };
  const hub = path.hub;
  const offered = offeredSubprotocols(req);
  const chosen = chooseSubprotocol(offered);
  const keys = options.secondaryAccessKey ? [options.accessKey, options.secondaryAccessKey] : [options.accessKey];

  // Recovery is checked before the access token, which may have expired by now.
  const recoverId = url.searchParams.get("awps_connection_id");
  if (recoverId !== null && chosen.kind === "reliable") {
    const token = url.searchParams.get("awps_reconnection_token") ?? "";
    const session = deps.findRecoverable(hub, recoverId);
    if (session && verifyReconnectionToken(recoverId, token, keys, Math.floor(options.clock.now() / 1000))) return { kind: "recover", session };
    return { kind: "recoveryFailed", subprotocol: chosen.subprotocol, reason: "The connection cannot be recovered." };
  }

  const token = bearerToken(req, url);
  if (!token) return { kind: "refuse", status: 401, reason: "An access token is required (access_token query or Authorization: Bearer)." };
  const check = verifyClientToken(token, { keys: deps.tokenKeys, hub, nowMs: options.clock.now(), clockSkewSeconds: options.tokenClockSkewSeconds });
  if (!check.ok) return { kind: "refuse", status: 401, reason: `Unauthorized: ${check.reason}.` };

  const refusal = options.meter.admitConnection(hub);
  // The code leads the plain-text reason, as the REST answers carry it in their JSON.
  if (refusal) return { kind: "refuse", status: refusal.status, reason: `${refusal.code}: ${refusal.message}` };

  const connectionId = newConnectionId();
  const request: ConnectEventRequest = {
    claims: check.claims.claims,
    query: multiValues(url.searchParams.entries()),
    headers: multiValues(Object.entries(req.headers).flatMap(([k, v]) => (v === undefined ? [] : (Array.isArray(v) ? v : [v]).map((x) => [k, x] as [string, string])))),
    subprotocols: offered,
    clientCertificates: [],
  };
  const outcome = await options.upstream.connect(
    { hub, connectionId, userId: check.claims.userId, ...(chosen.subprotocol ? { subprotocol: chosen.subprotocol } : {}) },
    request,
  );
  if (outcome.kind === "reject") return { kind: "refuse", status: outcome.status, reason: outcome.message };

  // The connect event may pick a subprotocol, but only one the client offered.
  const picked = outcome.subprotocol && offered.includes(outcome.subprotocol) ? chooseSubprotocol([outcome.subprotocol]) : chosen;
  return {
    kind: "accept",
    connection: {
      hub,
      connectionId,
      userId: outcome.userId ?? check.claims.userId,
      roles: outcome.roles ?? check.claims.roles,
      groups: [...check.claims.groups, ...(outcome.groups ?? [])],
      protocol: picked.kind,
      ...(picked.subprotocol ? { subprotocol: picked.subprotocol } : {}),
      ...(outcome.connectionState === undefined ? {} : { connectionState: outcome.connectionState }),
    },
  };
}
