import type { CloseTarget } from "../cluster/commands";
import { generateClientToken } from "./client-token";
import { listGroupConnections } from "./group-connections-page";
import { readGroupsAndFilter } from "./groups-by-filter";
import type { RestContext, RestResult } from "./rest-context";
import { restError } from "./rest-errors";
import type { RestOperation } from "./rest-routes";
import { validateConnectionId, validateGroup, validateHub, validatePermission, validateUserId } from "./rest-validation";
import { excludedAndFilter, filterOnly, send } from "./send-operations";

const OK: RestResult = { status: 200 };
const NO_CONTENT: RestResult = { status: 204 };

/** Runs one authenticated operation: validates its parameters, then asks the service core. */
export async function runOperation(ctx: RestContext, operation: RestOperation): Promise<RestResult> {
  const hub = validateHub(operation.hub);
  const { service } = ctx;
  switch (operation.op) {
    case "sendToAll":
      return send(ctx, hub, { kind: "all", ...excludedAndFilter(ctx) });
    case "sendToUser":
      return send(ctx, hub, { kind: "user", userId: validateUserId(operation.userId), ...filterOnly(ctx) });
    case "sendToConnection":
      return send(ctx, hub, { kind: "connection", connectionId: validateConnectionId(operation.connectionId) });
    case "sendToGroup":
      return send(ctx, hub, { kind: "group", group: validateGroup(operation.group), ...excludedAndFilter(ctx) });
    case "addConnectionToGroup": {
      const group = validateGroup(operation.group);
      const connectionId = validateConnectionId(operation.connectionId);
      // The SDK reports a 404 here as "Connection id doesn't exist".
      if (!(await service.connectionExists(hub, connectionId))) {
        throw restError("ConnectionNotFound", `Connection '${connectionId}' does not exist.`);
      }
      await service.execute(hub, { kind: "addConnectionToGroup", connectionId, group });
      return OK;
    }
    case "removeConnectionFromGroup":
      await service.execute(hub, {
        kind: "removeConnectionFromGroup",
        group: validateGroup(operation.group),
        connectionId: validateConnectionId(operation.connectionId),
      });
      return NO_CONTENT;
    case "addUserToGroup":
      // 200 even when the user has no connection yet (the official emulator's 404 breaks the SDK).
      await service.execute(hub, { kind: "addUserToGroup", userId: validateUserId(operation.userId), group: validateGroup(operation.group) });
      return OK;
    case "removeUserFromGroup":
      await service.execute(hub, { kind: "removeUserFromGroup", userId: validateUserId(operation.userId), group: validateGroup(operation.group) });
      return NO_CONTENT;
    case "removeUserFromAllGroups":
      await service.execute(hub, { kind: "removeUserFromAllGroups", userId: validateUserId(operation.userId) });
      return NO_CONTENT;
    case "removeConnectionFromAllGroups":
      await service.execute(hub, { kind: "removeConnectionFromAllGroups", connectionId: validateConnectionId(operation.connectionId) });
      return NO_CONTENT;
    case "closeAllConnections":
      return close(ctx, hub, { kind: "all", ...excluded(ctx) });
    case "closeUserConnections":
      return close(ctx, hub, { kind: "user", userId: validateUserId(operation.userId), ...excluded(ctx) });
    case "closeGroupConnections":
      return close(ctx, hub, { kind: "group", group: validateGroup(operation.group), ...excluded(ctx) });
    case "closeConnection":
      return close(ctx, hub, { kind: "connection", connectionId: validateConnectionId(operation.connectionId) });
    case "connectionExists":
      return found(await service.connectionExists(hub, validateConnectionId(operation.connectionId)));
    case "userExists":
      return found(await service.userExists(hub, validateUserId(operation.userId)));
    case "groupExists":
      return found(await service.groupExists(hub, validateGroup(operation.group)));
    case "listConnectionsInGroup":
      return listGroupConnections(ctx, hub, validateGroup(operation.group));
    case "grantPermission":
    case "revokePermission":
    case "checkPermission":
      return permission(ctx, hub, operation);
    case "addConnectionsToGroups":
      await service.execute(hub, { kind: "addToGroupsByFilter", ...(await readGroupsAndFilter(ctx)) });
      return OK;
    case "removeConnectionsFromGroups":
      await service.execute(hub, { kind: "removeFromGroupsByFilter", ...(await readGroupsAndFilter(ctx)) });
      return OK;
    case "generateClientToken":
      return generateClientToken(ctx, hub);
    default: {
      const _never: never = operation;
      return _never;
    }
  }
}

async function close(ctx: RestContext, hub: string, target: CloseTarget): Promise<RestResult> {
  const reason = ctx.query.get("reason");
  await ctx.service.execute(hub, { kind: "close", target, ...(reason ? { reason } : {}) });
  return NO_CONTENT;
}

function excluded(ctx: RestContext): { excluded?: string[] } {
  const list = ctx.query.getAll("excluded");
  return list.length > 0 ? { excluded: list } : {};
}

function found(exists: boolean): RestResult {
  return { status: exists ? 200 : 404 };
}

async function permission(
  ctx: RestContext,
  hub: string,
  operation: Extract<RestOperation, { op: "grantPermission" | "revokePermission" | "checkPermission" }>,
): Promise<RestResult> {
  const perm = validatePermission(operation.permission);
  const connectionId = validateConnectionId(operation.connectionId);
  const rawTarget = ctx.query.get("targetName");
  const targetName = rawTarget === undefined || rawTarget === "" ? undefined : validateGroup(rawTarget, "targetName");
  const scope = { connectionId, permission: perm, ...(targetName !== undefined ? { targetName } : {}) };
  switch (operation.op) {
    case "grantPermission":
      await ctx.service.execute(hub, { kind: "grantPermission", ...scope });
      return OK;
    case "revokePermission":
      await ctx.service.execute(hub, { kind: "revokePermission", ...scope });
      return NO_CONTENT;
    case "checkPermission":
      return found(await ctx.service.hasPermission(hub, connectionId, perm, targetName));
    default: {
      const _never: never = operation;
      return _never;
    }
  }
}
