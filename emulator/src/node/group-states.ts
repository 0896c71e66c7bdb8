import type { GroupStateItem } from "../cluster/commands";
import type { ResolvedServiceOptions } from "../options";
import type { ClientSession } from "./client-session";

/** Longest key of a group state. */
export const MAX_GROUP_STATE_KEY_LENGTH = 128;
/** Longest value of a group state. */
export const MAX_GROUP_STATE_VALUE_LENGTH = 1024;

/**
 * This node's connections subscribed to each group's state, per hub. A subscription belongs to
 * the logical connection: it survives a reliable recovery and goes with the session's end.
 */
export class GroupStateSubscribers {
  readonly #byHub = new Map<string, Map<string, Set<ClientSession>>>();

  /** False when the group already has `limit` subscribers on this node. */
  subscribe(session: ClientSession, group: string, limit: number): boolean {
    let groups = this.#byHub.get(session.hub);
    if (!groups) this.#byHub.set(session.hub, (groups = new Map()));
    let sessions = groups.get(group);
    if (!sessions) groups.set(group, (sessions = new Set()));
    if (!sessions.has(session) && sessions.size >= limit) {
      if (sessions.size === 0) groups.delete(group);
      return false;
    }
    sessions.add(session);
    session.stateSubscriptions.add(group);
    return true;
  }

  unsubscribe(session: ClientSession, group: string): void {
    session.stateSubscriptions.delete(group);
    const groups = this.#byHub.get(session.hub);
    const sessions = groups?.get(group);
    if (!groups || !sessions) return;
    sessions.delete(session);
    if (sessions.size === 0) groups.delete(group);
    if (groups.size === 0) this.#byHub.delete(session.hub);
  }

  /** The session is gone for good. */
  removeSession(session: ClientSession): void {
    for (const group of [...session.stateSubscriptions]) this.unsubscribe(session, group);
  }

  of(hub: string, group: string): ReadonlySet<ClientSession> | undefined {
    return this.#byHub.get(hub)?.get(group);
  }
}

/** What a state change says of one connection: its state, or none when it was cleared. */
export function stateItem(session: ClientSession, state: Record<string, string> | undefined, updatedAt: number): GroupStateItem {
  return {
    connectionId: session.connectionId,
    ...(session.userId === null ? {} : { userId: session.userId }),
    ...(state === undefined ? {} : { state }),
    updatedAt,
  };
}

/** Server time, but always later than the session's previous change, so clients' last-writer-wins never drops one. */
export function nextUpdatedAt(session: ClientSession, now: number): number {
  const at = Math.max(now, session.lastStateChangeAt + 1);
  session.lastStateChangeAt = at;
  return at;
}

/** Why a state may not be stored, or undefined when it may. */
export function stateRefusal(state: Record<string, string>, options: ResolvedServiceOptions): string | undefined {
  const keys = Object.keys(state);
  if (keys.length > options.maxGroupStateKeys) return `A group state holds at most ${options.maxGroupStateKeys} keys.`;
  for (const key of keys) {
    if (key.length === 0 || key.length > MAX_GROUP_STATE_KEY_LENGTH) return `Group state keys must be 1-${MAX_GROUP_STATE_KEY_LENGTH} characters.`;
    if (state[key]!.length > MAX_GROUP_STATE_VALUE_LENGTH) return `Group state values must be at most ${MAX_GROUP_STATE_VALUE_LENGTH} characters.`;
  }
  if (Buffer.byteLength(JSON.stringify(state), "utf8") > options.maxGroupStateBytes) return `A group state is at most ${options.maxGroupStateBytes} bytes as JSON.`;
  return undefined;
}
