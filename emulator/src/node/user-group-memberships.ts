/**
 * Group memberships held by user id rather than by connection, for faces whose "add user to
 * group" also covers the user's future connections (SignalR). Bounded: at most
 * `maxGroupsPerUser` groups per user and `maxEntries` in all; past either limit the oldest
 * membership is forgotten (the users' current connections stay in the group).
 */
export class UserGroupMemberships {
  /** userId → group → expiry (ms since epoch) or null for none; insertion order is age. */
  private readonly byUser = new Map<string, Map<string, number | null>>();
  private entries = 0;

  constructor(
    private readonly now: () => number,
    private readonly maxGroupsPerUser = 100,
    private readonly maxEntries = 100_000,
  ) {}

  remember(userId: string, group: string, expiresAt: number | null): void {
    let groups = this.byUser.get(userId);
    if (!groups) this.byUser.set(userId, (groups = new Map()));
    if (groups.delete(group)) this.entries -= 1;
    groups.set(group, expiresAt);
    this.entries += 1;
    if (groups.size > this.maxGroupsPerUser) this.forget(userId, groups.keys().next().value!);
    while (this.entries > this.maxEntries) {
      const [oldestUser, oldestGroups] = this.byUser.entries().next().value!;
      this.forget(oldestUser, oldestGroups.keys().next().value!);
    }
  }

  forget(userId: string, group: string): void {
    const groups = this.byUser.get(userId);
    if (!groups?.delete(group)) return;
    this.entries -= 1;
    if (groups.size === 0) this.byUser.delete(userId);
  }

  forgetAll(userId: string): void {
    const groups = this.byUser.get(userId);
    if (!groups) return;
    this.entries -= groups.size;
    this.byUser.delete(userId);
  }

  /** The user's groups that have not expired (expired ones are dropped on the way). */
  groupsOf(userId: string): string[] {
    const groups = this.byUser.get(userId);
    if (!groups) return [];
    const now = this.now();
    const live: string[] = [];
    for (const [group, expiresAt] of [...groups]) {
      if (expiresAt !== null && expiresAt <= now) this.forget(userId, group);
      else live.push(group);
    }
    return live;
  }

  /** The expiry recorded for a membership: undefined when there is none. */
  expiryOf(userId: string, group: string): number | null | undefined {
    return this.byUser.get(userId)?.get(group);
  }

  get size(): number {
    return this.entries;
  }
}
