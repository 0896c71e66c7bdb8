import { AppError } from "./errors";
import { matchesAllowList, type GrantPolicy } from "./grant-policy";
import { validateGroupName } from "./names";
import type { UserEventDataType } from "./cloud-events-request";
import type { MessagePayload } from "./message-payload";
import type { SendTarget } from "./send-request";

/** What the default `message`/`chat` user event relays, and to whom. */
export interface ChatRelay {
  /** A group name, or undefined for every connection of the hub. */
  group: string | undefined;
  /** JSON sent to the recipients. */
  message: { from: string | null; text: string; group?: string };
}

/**
 * The default user event: the sender names a group and a text, as JSON
 * `{ "group": "g", "text": "hi" }` (json or text data), or sends plain text for everyone.
 * A named group must be one the grant policy knows (allowed or default), else 403.
 */
export function planChatRelay(policy: GrantPolicy, userId: string | null, dataType: UserEventDataType, data: Buffer): ChatRelay {
  if (dataType === "binary") throw new AppError("InvalidCloudEvent", "A chat message must be text or JSON, not binary.");
  const raw = data.toString("utf8");
  let group: string | undefined;
  let text = raw;
  const parsed = tryParseJson(raw);
  if (typeof parsed === "string") {
    text = parsed;
  } else if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) {
    const record = parsed as Record<string, unknown>;
    if (typeof record.text !== "string") throw new AppError("InvalidCloudEvent", 'A chat message must be { "group"?: string, "text": string }.');
    text = record.text;
    if (record.group !== undefined && record.group !== null) {
      if (typeof record.group !== "string") throw new AppError("InvalidGroupName");
      group = validateGroupName(record.group);
    }
  } else if (dataType === "json") {
    throw new AppError("InvalidCloudEvent", 'A chat message must be { "group"?: string, "text": string }.');
  }
  if (group !== undefined && !matchesAllowList(group, [...policy.allowedGroups, ...policy.defaultGroups])) {
    throw new AppError("GroupNotAllowed", `Group ${JSON.stringify(group)} is not in the allow-list (AllowedGroups).`);
  }
  return { group, message: group === undefined ? { from: userId, text } : { from: userId, text, group } };
}

function tryParseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Where a relay goes: its group, or every connection of the hub. */
export function relayTarget(relay: ChatRelay): SendTarget {
  return relay.group === undefined ? { kind: "all" } : { kind: "group", group: relay.group };
}

/** The relayed message as a JSON payload for `RealtimeService.send`. */
export function relayPayload(relay: ChatRelay): MessagePayload {
  return { dataType: "json", value: relay.message, bytes: Buffer.byteLength(JSON.stringify(relay.message)) };
}
