import { AppError } from "./errors";
import { parseMessageTtl, validateClientMethod, validateConnectionId, validateGroupName, validateUserId } from "./names";

/** Where a message goes. `all` is a broadcast: every connection of the hub. */
export type SendTarget =
  | { kind: "user"; userId: string }
  | { kind: "connection"; connectionId: string }
  | { kind: "group"; group: string }
  | { kind: "all" };

export interface SendOptions {
  /** Connections that must not receive the message (group and broadcast only). */
  excluded: string[];
  /** OData filter, passed through to the service unchanged. */
  filter?: string;
  messageTtlSeconds?: number;
  /** `?target=`: the SignalR client method the message invokes (SignalR only). */
  clientMethod?: string;
}

export interface SendRequest {
  target: SendTarget;
  options: SendOptions;
}

const targetKeys = ["userId", "connectionId", "group"] as const;

/** Parses the send trigger's query: exactly one target, then the options that target allows. */
export function parseSendQuery(query: URLSearchParams): SendRequest {
  const given = targetKeys.flatMap((key) => query.getAll(key).map((value) => ({ key, value })));
  if (given.length === 0) throw new AppError("MissingTarget");
  if (given.length > 1) {
    throw new AppError("TooManyTargets", `Give exactly one target; got ${given.map((item) => `?${item.key}=`).join(", ")}.`);
  }
  const [{ key, value }] = given;
  const target: SendTarget =
    key === "userId"
      ? { kind: "user", userId: validateUserId(value) }
      : key === "connectionId"
        ? { kind: "connection", connectionId: validateConnectionId(value) }
        : { kind: "group", group: validateGroupName(value) };
  return { target, options: parseOptions(query, target) };
}

/** Parses the broadcast trigger's query; a target parameter there is a mistake, not ignored. */
export function parseBroadcastQuery(query: URLSearchParams): SendRequest {
  const stray = targetKeys.find((key) => query.has(key));
  if (stray) throw new AppError("InvalidQuery", `Broadcast goes to every connection of the hub; ?${stray}= belongs on /api/send.`);
  const target: SendTarget = { kind: "all" };
  return { target, options: parseOptions(query, target) };
}

function parseOptions(query: URLSearchParams, target: SendTarget): SendOptions {
  const excluded = query.getAll("excluded").map(validateConnectionId);
  if (excluded.length > 0 && target.kind !== "group" && target.kind !== "all") {
    throw new AppError("InvalidQuery", "?excluded= applies to group sends and broadcasts only.");
  }
  const filter = query.get("filter") ?? undefined;
  if (filter !== undefined && (target.kind === "connection" || filter.trim() === "")) {
    throw new AppError("InvalidQuery", target.kind === "connection" ? "?filter= does not apply to a single connection." : "?filter= is empty.");
  }
  const ttl = query.get("messageTtlSeconds");
  const method = query.get("target");
  return {
    excluded,
    filter,
    messageTtlSeconds: ttl === null ? undefined : parseMessageTtl(ttl),
    ...(method === null ? {} : { clientMethod: validateClientMethod(method) }),
  };
}
