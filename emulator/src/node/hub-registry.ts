import type { ClientSession } from "./client-session";
import { UserGroupMemberships, type MembershipTimers } from "./user-group-memberships";

export interface MembershipListener {
  groupActivated(hub: string, group: string): void;
  groupDeactivated(hub: string, group: string): void;
  hubActivated(hub: string): void;
  /** This node no longer holds a connection of `hub`. */
  hubDeactivated(hub: string): void;
  /** A connection joined or left a group, however (its own frame, REST, connect, its end): group presence. */
  membershipChanged(session: ClientSession, group: string, joined: boolean): void;
}

/** This node's connections of one hub, indexed by id, group and user. */
export class HubConnections {
  readonly connections = new Map<string, ClientSession>();
  readonly groups = new Map<string, Set<ClientSession>>();
  readonly users = new Map<string, Set<ClientSession>>();
  constructor(
    readonly hub: string,
    private readonly listener: MembershipListener,
    /** Memberships that also cover a user's future connections (the registry's, kept without connections too). */
    readonly userGroups: UserGroupMemberships,
  ) {}

  add(session: ClientSession): void {
    this.connections.set(session.connectionId, session);
    if (session.userId !== null) {
      let sessions = this.users.get(session.userId);
      if (!sessions) this.users.set(session.userId, (sessions = new Set()));
      sessions.add(session);
      for (const group of this.userGroups.groupsOf(session.userId)) this.join(session, group);
    }
  }

  remove(session: ClientSession): void {
    for (const group of [...session.groups]) this.leave(session, group);
    this.connections.delete(session.connectionId);
    if (session.userId !== null) {
      const sessions = this.users.get(session.userId);
      sessions?.delete(session);
      if (sessions?.size === 0) this.users.delete(session.userId);
    }
  }

  join(session: ClientSession, group: string): void {
    if (session.groups.has(group)) return;
    session.groups.add(group);
    let members = this.groups.get(group);
    if (!members) {
      this.groups.set(group, (members = new Set()));
      this.listener.groupActivated(this.hub, group);
    }
    members.add(session);
    this.listener.membershipChanged(session, group, true);
  }

  leave(session: ClientSession, group: string): void {
    if (!session.groups.delete(group)) return;
    const members = this.groups.get(group);
    members?.delete(session);
    this.listener.membershipChanged(session, group, false);
    if (members?.size === 0) {
      this.groups.delete(group);
      this.listener.groupDeactivated(this.hub, group);
    }
  }
}

const systemTimers: MembershipTimers = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * Every hub this node has seen; a hub is created (and announced) at its first connection.
 * Remembered user-group memberships are kept per hub apart from the connections, so a membership
 * added before the user's first connection on this node (the common case: from negotiate or a
 * sign-up flow) is there when that connection arrives.
 */
export class HubRegistry {
  private readonly hubs = new Map<string, HubConnections>();
  private readonly memberships = new Map<string, UserGroupMemberships>();

  constructor(
    private readonly listener: MembershipListener,
    private readonly timers: MembershipTimers = systemTimers,
  ) {}

  /** The hub's remembered user-group memberships, created on first use, with or without connections here. */
  userGroups(hub: string): UserGroupMemberships {
    let memberships = this.memberships.get(hub);
    if (!memberships) {
      // A lapsed membership takes the user's connections on this node out of the group.
      const expire = (userId: string, group: string): void => {
        const local = this.hubs.get(hub);
        for (const session of [...(local?.users.get(userId) ?? [])]) local!.leave(session, group);
      };
      this.memberships.set(hub, (memberships = new UserGroupMemberships(this.timers, expire)));
    }
    return memberships;
  }

  /** The hub's memberships if it has any (queries must not create tables). */
  existingUserGroups(hub: string): UserGroupMemberships | undefined {
    return this.memberships.get(hub);
  }

  /** Clears every membership timer (the node is closing). */
  close(): void {
    for (const memberships of this.memberships.values()) memberships.clear();
    this.memberships.clear();
  }

  get(hub: string): HubConnections | undefined {
    return this.hubs.get(hub);
  }

  getOrCreate(hub: string): HubConnections {
    let connections = this.hubs.get(hub);
    if (!connections) {
      this.hubs.set(hub, (connections = new HubConnections(hub, this.listener, this.userGroups(hub))));
      this.listener.hubActivated(hub);
    }
    return connections;
  }

  /**
   * Forgets a hub once its last connection here has gone, so hubs that come and go hold no state
   * (a remembered membership keeps its own table until it is forgotten or lapses).
   */
  releaseIfEmpty(hub: string): void {
    const connections = this.hubs.get(hub);
    if (!connections || connections.connections.size > 0) return;
    this.hubs.delete(hub);
    this.listener.hubDeactivated(hub);
    if (this.memberships.get(hub)?.size === 0) this.memberships.delete(hub);
  }

  /** Hubs with connections on this node. */
  get hubCount(): number {
    return this.hubs.size;
  }

  all(): IterableIterator<HubConnections> {
    return this.hubs.values();
  }
}
