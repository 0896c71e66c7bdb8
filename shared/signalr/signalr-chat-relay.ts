import { planChatRelay, type ChatRelay } from "../chat-relay";
import { AppError } from "../errors";
import type { GrantPolicy } from "../grant-policy";

/**
 * `connection.invoke("broadcast", message)`: one argument, a text for everyone or
 * `{ group?, text }`; the same relay rules (and allow-list) as the Web PubSub chat event.
 */
export function planSignalRChatRelay(policy: GrantPolicy, userId: string | null, args: readonly unknown[]): ChatRelay {
  if (args.length !== 1) throw new AppError("InvalidQuery", `A chat message is one argument, a text or { group?, text }; got ${args.length}.`);
  const [message] = args;
  if (typeof message === "string") return planChatRelay(policy, userId, "text", Buffer.from(JSON.stringify(message), "utf8"));
  if (typeof message === "object" && message !== null && !Array.isArray(message)) {
    return planChatRelay(policy, userId, "json", Buffer.from(JSON.stringify(message), "utf8"));
  }
  throw new AppError("InvalidQuery", "A chat message is a text or { group?, text }.");
}
