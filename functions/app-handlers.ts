/**
 * The app's handlers: add yours here. Each name answers a Web PubSub user event or invocation
 * (`client.sendEvent(name, …)`, `client.invokeEvent(name, …)`) and a SignalR hub method
 * (`connection.invoke(name, …)`); names match case-insensitively. See "Your own handlers" in
 * docs/function-app.md.
 */
import { json, type AppHandler, type AppHandlers, type AppRequest } from "../shared/app-handlers";
import { planChatRelay, relayPayload, relayTarget } from "../shared/chat-relay";
import { AppError } from "../shared/errors";
import { matchesAllowList } from "../shared/grant-policy";
import { countGroupMembers, DEFAULT_COUNT_CAP } from "../shared/group-presence";
import { validateGroupName } from "../shared/names";
import { planSignalRChatRelay } from "../shared/signalr/signalr-chat-relay";

/** Sends the payload back as it came: with its type on Web PubSub, the first argument on SignalR. */
const echo: AppHandler = (request) => (request.data === undefined ? undefined : request.data);

/**
 * Relays a chat message: a text for everyone, or `{ "group": "g", "text": "hi" }` for one group
 * (a group the grant policy allows). Answers nothing.
 */
const chat: AppHandler = async (request, context) => {
  const relay =
    context.service === "signalr"
      ? planSignalRChatRelay(context.grants, context.userId, request.arguments)
      : planChatRelay(context.grants, context.userId, request.data?.dataType ?? "text", payloadBytes(request));
  await context.realtime.send(relayTarget(relay), relayPayload(relay), { excluded: [] });
  return undefined;
};

/**
 * How many connections a group has: `"room-1"` or `{ "group": "room-1" }`, answered as
 * `{ group, count, capped, cap }`. Only groups a client could be granted at negotiate (AllowedGroups
 * or DefaultGroups) may be counted.
 */
const memberCount: AppHandler = async (request, context) => {
  const group = validateGroupName(groupArgument(request));
  if (!matchesAllowList(group, [...context.grants.allowedGroups, ...context.grants.defaultGroups])) {
    throw new AppError("GroupNotAllowed", `Group ${JSON.stringify(group)} is not in the allow-list (AllowedGroups).`);
  }
  const counted = await countGroupMembers(context.realtime, group, DEFAULT_COUNT_CAP);
  return json({ group, ...counted });
};

export const appHandlers: AppHandlers = {
  echo,
  message: chat,
  chat,
  // SignalR's usual names for a chat hub's methods.
  broadcast: chat,
  send: chat,
  memberCount,
};

function payloadBytes(request: AppRequest): Buffer {
  const data = request.data;
  if (data === undefined) return Buffer.alloc(0);
  if (data.dataType === "binary") return data.value;
  return Buffer.from(data.dataType === "json" ? JSON.stringify(data.value) : data.value, "utf8");
}

function groupArgument(request: AppRequest): string {
  const [value] = request.arguments;
  if (typeof value === "string") return value;
  if (typeof value === "object" && value !== null && typeof (value as { group?: unknown }).group === "string") return (value as { group: string }).group;
  throw new AppError("InvalidQuery", 'memberCount takes a group name: "room-1" or { "group": "room-1" }.');
}
