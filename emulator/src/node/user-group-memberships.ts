/**
 * Group memberships held by user id rather than by connection, for faces whose "add user to
 * group" also covers the user's future connections (SignalR). Bounded: at most
 * `maxGroupsPerUser` groups per user and `maxEntries` in all; past either limit the oldest
 * membership is forgotten (the users' current connections stay in the group).
 *
 * A membership with an expiry has exactly one timer, replaced when the membership is renewed and
 * cleared when it is forgotten, so renewing a membership a million times arms one timer, not a
 * million. Delays past what `setTimeout` can hold (2^31 - 1 ms, about 24.8 days) are waited in
 * steps. A firing timer acts only if the stored expiry is still the one it was armed for.
 */

/** The timers a membership table needs; the service clock in production, a fake in tests. */
export interface MembershipTimers {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The longest delay setTimeout honours; a larger one fires after 1 ms. */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

interface Membership {
  expiresAt: number | null;
  timer: unknown;
}

export class UserGroupMemberships {
  /** userId → group → membership; insertion order is age. */
  private readonly byUser = new Map<string, Map<string, Membership>>();
  private entries = 0;
  private armedTimers = 0;

  constructor(
    private readonly timers: MembershipTimers,
    /** Called when a membership lapses (not when it is forgotten or replaced). */
    private readonly onExpire: (userId: string, group: string) => void = () => {},
    private readonly maxGroupsPerUser = 100,
    private readonly maxEntries = 100_000,
  ) {}

  remember(userId: string, group: string, expiresAt: number | null): void {
    let groups = this.byUser.get(userId);
    if (!groups) this.byUser.set(userId, (groups = new Map()));
    const previous = groups.get(group);
    if (previous) {
      this.disarm(previous);
      groups.delete(group);
      this.entries -= 1;
    }
    const membership: Membership = { expiresAt, timer: undefined };
    groups.set(group, membership);
    this.entries += 1;
    if (expiresAt !== null) this.arm(userId, group, membership);
    if (groups.size > this.maxGroupsPerUser) this.forget(userId, groups.keys().next().value!);
    while (this.entries > this.maxEntries) {
      const [oldestUser, oldestGroups] = this.byUser.entries().next().value!;
      this.forget(oldestUser, oldestGroups.keys().next().value!);
    }
  }

  forget(userId: string, group: string): void {
    const groups = this.byUser.get(userId);
    const membership = groups?.get(group);
    if (!groups || !membership) return;
    this.disarm(membership);
    groups.delete(group);
    this.entries -= 1;
    if (groups.size === 0) this.byUser.delete(userId);
  }

  forgetAll(userId: string): void {
    const groups = this.byUser.get(userId);
    if (!groups) return;
    for (const membership of groups.values()) this.disarm(membership);
    this.entries -= groups.size;
    this.byUser.delete(userId);
  }

  /** Forgets everything and clears every timer (the node is closing). */
  clear(): void {
    for (const userId of [...this.byUser.keys()]) this.forgetAll(userId);
  }

  /** The user's groups that have not expired (expired ones are dropped on the way). */
  groupsOf(userId: string): string[] {
    const groups = this.byUser.get(userId);
    if (!groups) return [];
    const now = this.timers.now();
    const live: string[] = [];
    for (const [group, membership] of [...groups]) {
      if (membership.expiresAt !== null && membership.expiresAt <= now) this.forget(userId, group);
      else live.push(group);
    }
    return live;
  }

  /** The expiry recorded for a membership: undefined when there is none. */
  expiryOf(userId: string, group: string): number | null | undefined {
    return this.byUser.get(userId)?.get(group)?.expiresAt;
  }

  get size(): number {
    return this.entries;
  }

  /** Timers currently armed: one per membership with an expiry, whatever the renewals. */
  get timerCount(): number {
    return this.armedTimers;
  }

  private arm(userId: string, group: string, membership: Membership): void {
    const remaining = Math.max(0, membership.expiresAt! - this.timers.now());
    this.armedTimers += 1;
    membership.timer = this.timers.setTimeout(() => {
      this.armedTimers -= 1;
      membership.timer = undefined;
      // Only the membership this timer was armed for: a renewal or a re-add replaced the object.
      if (this.byUser.get(userId)?.get(group) !== membership) return;
      if (membership.expiresAt! > this.timers.now()) {
        this.arm(userId, group, membership); // a long delay, waited in steps
        return;
      }
      this.forget(userId, group);
      this.onExpire(userId, group);
    }, Math.min(remaining, MAX_TIMER_DELAY_MS));
  }

  private disarm(membership: Membership): void {
    if (membership.timer === undefined) return;
    this.timers.clearTimeout(membership.timer);
    membership.timer = undefined;
    this.armedTimers -= 1;
  }
}
