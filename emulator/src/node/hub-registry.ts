import type { ClientSession } from "./client-session";
import { UserGroupMemberships } from "./user-group-memberships";

export interface MembershipListener {
  groupActivated(hub: string, group: string): void;
  groupDeactivated(hub: string, group: string): void;
  hubActivated(hub: string): void;
}

/** This node's connections of one hub, indexed by id, group and user. */
export class HubConnections {
  readonly connections = new Map<string, ClientSession>();
  readonly groups = new Map<string, Set<ClientSession>>();
  readonly users = new Map<string, Set<ClientSession>>();
  /** Memberships that also cover a user's future connections (empty unless a face remembers some). */
  readonly userGroups: UserGroupMemberships;

  constructor(
    readonly hub: string,
    private readonly listener: MembershipListener,
    now: () => number = Date.now,
  ) {
    this.userGroups = new UserGroupMemberships(now);
  }

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
  }

  leave(session: ClientSession, group: string): void {
    if (!session.groups.delete(group)) return;
    const members = this.groups.get(group);
    members?.delete(session);
    if (members?.size === 0) {
      this.groups.delete(group);
      this.listener.groupDeactivated(this.hub, group);
    }
  }
}

/** Every hub this node has seen; a hub is created (and announced) at its first connection. */
export class HubRegistry {
  private readonly hubs = new Map<string, HubConnections>();

  constructor(
    private readonly listener: MembershipListener,
    private readonly now: () => number = Date.now,
  ) {}

  get(hub: string): HubConnections | undefined {
    return this.hubs.get(hub);
  }

  getOrCreate(hub: string): HubConnections {
    let connections = this.hubs.get(hub);
    if (!connections) {
      this.hubs.set(hub, (connections = new HubConnections(hub, this.listener, this.now)));
      this.listener.hubActivated(hub);
    }
    return connections;
  }

  all(): IterableIterator<HubConnections> {
    return this.hubs.values();
  }
}
