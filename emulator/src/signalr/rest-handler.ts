import type { KeyObject } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ClusterCommand } from "../cluster/commands";
import { mediaTypeOf } from "../../../common/content-type";
import type { ServiceNode } from "../node/service-node";
import type { ResolvedServiceOptions } from "../options";
import { readBody } from "../rest/rest-body";
import { RestHttpError, writeError } from "../rest/rest-errors";
import { closeIfUnread } from "../rest/rest-handler";
import { resolveHubName } from "./hub-names";
import { parseInvocationBody } from "./rest-message-body";
import { matchSignalRRoute, type SignalROperation } from "./rest-routes";
import { signalrError } from "./signalr-errors";
import { verifySignalRRestToken } from "./signalr-token";

interface RestDeps {
  node: ServiceNode;
  options: ResolvedServiceOptions;
  keys: readonly KeyObject[];
}

interface RequestContext {
  req: IncomingMessage;
  query: URLSearchParams;
  hubKey: string;
}

type Answer = { status: number };

const ACCEPTED: Answer = { status: 202 };
const OK: Answer = { status: 200 };
const NO_CONTENT: Answer = { status: 204 };

/**
 * The SignalR data plane: `/api/hubs/{hub}/…` (2022-06-01) and `/api/v1/hubs/{hub}/…`. Guard
 * clauses in order: route, hub, token, parameters, body. Every failure is an `ErrorDetail`.
 */
export async function handleSignalRRest(req: IncomingMessage, res: ServerResponse, deps: RestDeps): Promise<void> {
  const started = process.hrtime.bigint();
  const target = req.url ?? "/";
  const q = target.indexOf("?");
  const path = q < 0 ? target : target.slice(0, q);
  let operation: string | undefined;
  try {
    const route = matchSignalRRoute(req.method ?? "GET", path);
    if (route.kind === "notFound") throw signalrError("Error.RouteNotFound", `No REST operation matches ${req.method} ${path}.`);
    if (route.kind === "badEncoding") throw signalrError("Error.InvalidPathEncoding");
    if (route.kind === "methodNotAllowed") {
      answerError(req, res, signalrError("Error.MethodNotAllowed", `This path supports ${route.allow.join(", ")}, not ${req.method}.`), { allow: route.allow.join(", ") });
      return;
    }
    operation = route.operation.op;
    const query = new URLSearchParams(q < 0 ? "" : target.slice(q + 1));
    const hub = resolveHubName(route.hub, query.get("application"));
    if (!hub.ok) throw signalrError(hub.which === "hub" ? "Error.InvalidHubName" : "Error.InvalidApplicationName");
    const { options } = deps;
    const auth = verifySignalRRestToken(req.headers.authorization, path, { keys: deps.keys, nowMs: options.clock.now(), clockSkewSeconds: options.tokenClockSkewSeconds });
    if (!auth.ok) throw signalrError("Error.Unauthorized", `Unauthorized: ${auth.reason}.`);
    const answer = await run({ req, query, hubKey: hub.key }, route.operation, deps);
    res.writeHead(answer.status, { ...closeIfUnread(req, res), "content-length": 0 });
    res.end();
  } catch (error) {
    if (!(error instanceof RestHttpError)) deps.options.logger.error(`SignalR REST ${req.method} ${path} failed: ${(error as Error).message}`);
    answerError(req, res, error instanceof RestHttpError ? error : signalrError("Error.InternalServerError"));
  } finally {
    if (operation !== undefined) deps.options.meter.restLatency(operation, Number(process.hrtime.bigint() - started) / 1e9);
  }
}

async function run(ctx: RequestContext, operation: SignalROperation, deps: RestDeps): Promise<Answer> {
  const { node } = deps;
  const hub = ctx.hubKey;
  const execute = (command: ClusterCommand) => node.execute(hub, command);
  switch (operation.op) {
    case "broadcast":
      await send(ctx, deps, { kind: "all", ...excluded(ctx) });
      return ACCEPTED;
    case "sendToUser":
      await send(ctx, deps, { kind: "user", userId: userId(operation.user) });
      return ACCEPTED;
    case "sendToGroup":
      await send(ctx, deps, { kind: "group", group: groupName(operation.group), ...excluded(ctx) });
      return ACCEPTED;
    case "sendToConnection":
      await send(ctx, deps, { kind: "connection", connectionId: connectionId(operation.connection) });
      return ACCEPTED;
    case "connectionExists":
      if (await node.connectionExists(hub, connectionId(operation.connection))) return OK;
      throw signalrError("Warning.Connection.NotExisted");
    case "userExists":
      if (await node.userExists(hub, userId(operation.user))) return OK;
      throw signalrError("Warning.User.NotExisted");
    case "groupExists":
      if (await node.groupExists(hub, groupName(operation.group))) return OK;
      throw signalrError("Warning.Group.NotExisted");
    case "userInGroup":
      if (await node.userInGroup(hub, userId(operation.user), groupName(operation.group))) return OK;
      throw signalrError("Info.User.NotInGroup");
    case "closeConnection": {
      const id = connectionId(operation.connection);
      if (!(await node.connectionExists(hub, id))) throw signalrError("Warning.Connection.NotExisted");
      await execute({ kind: "close", target: { kind: "connection", connectionId: id }, ...reason(ctx) });
      return OK;
    }
    case "closeAll":
      await execute({ kind: "close", target: { kind: "all", ...excluded(ctx) }, ...reason(ctx) });
      return NO_CONTENT;
    case "closeGroup":
      await execute({ kind: "close", target: { kind: "group", group: groupName(operation.group), ...excluded(ctx) }, ...reason(ctx) });
      return NO_CONTENT;
    case "closeUser":
      await execute({ kind: "close", target: { kind: "user", userId: userId(operation.user), ...excluded(ctx) }, ...reason(ctx) });
      return NO_CONTENT;
    case "addConnectionToGroup": {
      const group = groupName(operation.group);
      const id = connectionId(operation.connection);
      if (!(await node.connectionExists(hub, id))) throw signalrError("Error.Connection.NotExisted");
      await execute({ kind: "addConnectionToGroup", connectionId: id, group });
      return OK;
    }
    case "removeConnectionFromGroup":
      await execute({ kind: "removeConnectionFromGroup", connectionId: connectionId(operation.connection), group: groupName(operation.group) });
      return OK;
    case "removeConnectionFromAllGroups":
      await execute({ kind: "removeConnectionFromAllGroups", connectionId: connectionId(operation.connection) });
      return OK;
    case "addUserToGroup": {
      const user = userId(operation.user);
      const group = groupName(operation.group);
      const ttl = ttlSeconds(ctx);
      // No ttl: the membership lasts (current and future connections); ttl=0: current connections only.
      const remember = ttl === undefined ? { expiresAt: null } : ttl === 0 ? undefined : { expiresAt: deps.options.clock.now() + ttl * 1000 };
      await execute({ kind: "addUserToGroup", userId: user, group, ...(remember ? { remember } : {}) });
      return OK;
    }
    case "removeUserFromGroup":
      await execute({ kind: "removeUserFromGroup", userId: userId(operation.user), group: groupName(operation.group) });
      return NO_CONTENT;
    case "removeUserFromAllGroups":
      await execute({ kind: "removeUserFromAllGroups", userId: userId(operation.user) });
      return NO_CONTENT;
    default: {
      const _never: never = operation;
      return _never;
    }
  }
}

async function send(ctx: RequestContext, deps: RestDeps, target: Extract<ClusterCommand, { kind: "deliver" }>["target"]): Promise<void> {
  const media = mediaTypeOf(ctx.req.headers["content-type"]);
  // The SDK's pre-serialized octet-stream payloads are not supported; JSON (or no type) is.
  if (media !== "" && media !== "application/json" && media !== "text/json" && !media.endsWith("+json") && media !== "text/plain") {
    throw signalrError("Error.UnsupportedMediaType");
  }
  let body: Buffer;
  try {
    body = await readBody(ctx.req, deps.options.maxRestBodyBytes);
  } catch (error) {
    if (error instanceof RestHttpError && error.status === 413) throw signalrError("Error.PayloadTooLarge", `The request body is larger than ${deps.options.maxRestBodyBytes} bytes.`);
    throw error;
  }
  const { meter } = deps.options;
  meter.inboundMessage(ctx.hubKey, "rest", body.length);
  const refusal = meter.admitMessage(ctx.hubKey);
  if (refusal) throw new RestHttpError(refusal.status, refusal.code, refusal.message);
  const message = parseInvocationBody(body);
  await deps.node.execute(ctx.hubKey, {
    kind: "deliver",
    target,
    message: { from: "server", dataType: "json", data: message.argumentsJson, invocationTarget: message.target },
  });
}

function excluded(ctx: RequestContext): { excluded?: string[] } {
  const ids = ctx.query.getAll("excluded").filter((id) => id.length > 0);
  return ids.length > 0 ? { excluded: ids } : {};
}

function reason(ctx: RequestContext): { reason?: string } {
  const text = ctx.query.get("reason");
  return text ? { reason: text } : {};
}

function ttlSeconds(ctx: RequestContext): number | undefined {
  const text = ctx.query.get("ttl");
  if (text === null || text === "") return undefined;
  if (!/^\d{1,9}$/.test(text)) throw signalrError("Error.InvalidTtl");
  return Number(text);
}

function groupName(value: string): string {
  if (value.length === 0 || value.length > 1024 || value.trim().length === 0) throw signalrError("Error.InvalidGroupName");
  return value;
}

function userId(value: string): string {
  if (value.length === 0 || value.length > 1024) throw signalrError("Error.InvalidUserId");
  return value;
}

function connectionId(value: string): string {
  if (value.length === 0 || value.length > 256) throw signalrError("Error.InvalidConnectionId");
  return value;
}

function answerError(req: IncomingMessage, res: ServerResponse, error: RestHttpError, extra: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  writeError(res, error, { ...closeIfUnread(req, res), ...extra });
}
