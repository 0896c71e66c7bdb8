import type { Backplane, BackplaneNode } from "../backplane/backplane";
import type { ClusterAnswer, ClusterCommand, ClusterQuery, CloseTarget, DeliveryTarget, GroupStateItem, OutboundData, Permission } from "../cluster/commands";
import type { ServiceMeter } from "../metering/service-meter";
import type { ResolvedServiceOptions, ServiceClock } from "../options";
import { cancelStreams } from "../ws/group-streams";
import type { ServiceApi } from "../service-api";
import type { ClientSession, SendOutcome } from "./client-session";
import { DeliveryFilterCache, type SessionPredicate } from "./delivery-filter-cache";
import { GroupStateSubscribers, nextUpdatedAt, stateItem } from "./group-states";
import { HubRegistry, type HubConnections } from "./hub-registry";
import { OutboundFrames } from "./outbound-frames";
import { SessionLifecycle } from "./session-lifecycle";

/**
 * The local node: holds this process's connections and applies cluster commands to them.
 * As `ServiceApi` it answers for the whole cluster (local state plus the other nodes' answers);
 * as `BackplaneNode` it applies the other nodes' commands and answers their queries.
 */
export class ServiceNode implements ServiceApi, BackplaneNode {
  readonly registry: HubRegistry;
  readonly lifecycle: SessionLifecycle;
  readonly clock: ServiceClock;
  /** This node's connections subscribed to group states. */
  readonly stateSubscribers = new GroupStateSubscribers();
  private readonly filters = new DeliveryFilterCache();
  private readonly backplane: Backplane;
  private readonly meter: ServiceMeter;

  constructor(private readonly options: ResolvedServiceOptions) {
    this.backplane = options.backplane;
    this.meter = options.meter;
    this.clock = options.clock;
    this.registry = new HubRegistry({
      groupActivated: (hub, group) => this.backplane.groupActivated(hub, group),
      groupDeactivated: (hub, group) => this.backplane.groupDeactivated(hub, group),
      hubActivated: (hub) => this.backplane.hubActivated(hub),
      hubDeactivated: (hub) => this.backplane.hubDeactivated(hub),
      // Web PubSub's group presence events; other faces (SignalR) have none.
      membershipChanged: (session, group, joined) => {
        if (session.adapter) return;
        // A connection's state in a group goes with its membership, however it left.
        if (!joined && session.groupStates.has(group)) this.changeGroupState(session, group, undefined);
        options.upstream.groupChanged(session.upstreamConnection, group, joined);
      },
    }, options.clock);
    this.lifecycle = new SessionLifecycle(options, this.registry, {
      ending: (session) => {
        cancelStreams(this, session);
        this.stateSubscribers.removeSession(session);
      },
      recovered: (session) => {
        // Updates missed while the socket was down are not replayed: a fresh snapshot stands in.
        for (const group of session.stateSubscriptions) void this.sendGroupStateSnapshot(session, group);
      },
    });
  }

  // --- group state ------------------------------------------------------------------------

  /** Sets (or, without `state`, clears) a session's own state in a group and tells every subscriber in the cluster. */
  changeGroupState(session: ClientSession, group: string, state: Record<string, string> | undefined): void {
    const updatedAt = nextUpdatedAt(session, this.clock.now());
    if (state === undefined) session.groupStates.delete(group);
    else session.groupStates.set(group, { state, updatedAt });
    void this.execute(session.hub, { kind: "groupStateChanged", group, items: [stateItem(session, state, updatedAt)] });
  }

  /** Every connection's state in a group, across the cluster, by connection id. */
  async groupStates(hub: string, group: string): Promise<GroupStateItem[]> {
    const query: ClusterQuery = { kind: "groupState", group };
    const merged = new Map<string, GroupStateItem>();
    for (const answer of [this.answerQuery(hub, query), ...(await this.queryOthers(hub, query))]) {
      if (answer.kind === "groupState") for (const item of answer.value) merged.set(item.connectionId, item);
    }
    return [...merged.values()].sort((a, b) => (a.connectionId < b.connectionId ? -1 : a.connectionId > b.connectionId ? 1 : 0));
  }

  /** A `groupStateSnapshot` for one subscriber; nothing if it unsubscribed or ended meanwhile. */
  async sendGroupStateSnapshot(session: ClientSession, group: string): Promise<void> {
    const items = await this.groupStates(session.hub, group);
    if (session.ended || !session.stateSubscriptions.has(group)) return;
    this.meter.outboundMessage(session.hub, "client", 0);
    session.sendControl({ kind: "groupStateSnapshot", group, items });
  }

  // --- ServiceApi -------------------------------------------------------------------------

  async execute(hub: string, command: ClusterCommand): Promise<void> {
    this.apply(hub, command);
    try {
      await this.backplane.publish(hub, command);
    } catch (error) {
      // Local delivery already happened; the link's failure is reported, not thrown.
      this.meter.backplaneError();
      this.options.logger.error(`backplane publish failed: ${(error as Error).message}`);
    }
  }

  async connectionExists(hub: string, connectionId: string): Promise<boolean> {
    return this.askAll(hub, { kind: "connectionExists", connectionId });
  }

  async userExists(hub: string, userId: string): Promise<boolean> {
    return this.askAll(hub, { kind: "userExists", userId });
  }

  async groupExists(hub: string, group: string): Promise<boolean> {
    return this.askAll(hub, { kind: "groupExists", group });
  }

  async userInGroup(hub: string, userId: string, group: string): Promise<boolean> {
    return this.askAll(hub, { kind: "userInGroup", userId, group });
  }

  async hasPermission(hub: string, connectionId: string, permission: Permission, targetName?: string): Promise<boolean> {
    return this.askAll(hub, { kind: "hasPermission", connectionId, permission, ...(targetName === undefined ? {} : { targetName }) });
  }

  async groupConnections(hub: string, group: string): Promise<Array<{ connectionId: string; userId: string | null }>> {
    const query: ClusterQuery = { kind: "groupConnections", group };
    const merged = new Map<string, { connectionId: string; userId: string | null }>();
    const answers = [this.answerQuery(hub, query), ...(await this.queryOthers(hub, query))];
    for (const answer of answers) {
      if (answer.kind === "connections") for (const member of answer.value) merged.set(member.connectionId, member);
    }
    return [...merged.values()].sort((a, b) => (a.connectionId < b.connectionId ? -1 : a.connectionId > b.connectionId ? 1 : 0));
  }

  // --- BackplaneNode ----------------------------------------------------------------------

  applyRemoteCommand(hub: string, command: ClusterCommand): void {
    this.apply(hub, command);
  }

  answerQuery(hub: string, query: ClusterQuery): ClusterAnswer {
    const local = this.registry.get(hub);
    switch (query.kind) {
      case "connectionExists":
        return { kind: "boolean", value: local?.connections.has(query.connectionId) ?? false };
      case "userExists":
        return { kind: "boolean", value: local?.users.has(query.userId) ?? false };
      case "groupExists":
        return { kind: "boolean", value: local?.groups.has(query.group) ?? false };
      case "groupConnections":
        return {
          kind: "connections",
          value: [...(local?.groups.get(query.group) ?? [])].map((s) => ({ connectionId: s.connectionId, userId: s.userId })),
        };
      case "userInGroup": {
        const remembered = this.registry.existingUserGroups(hub)?.groupsOf(query.userId).includes(query.group) ?? false;
        const viaConnection = [...(local?.users.get(query.userId) ?? [])].some((s) => s.groups.has(query.group));
        return { kind: "boolean", value: remembered || viaConnection };
      }
      case "hasPermission": {
        const session = local?.connections.get(query.connectionId);
        return { kind: "boolean", value: session?.permissions.has(query.permission, query.targetName) ?? false };
      }
      case "usage":
        return { kind: "usage", value: this.meter.snapshot?.() ?? null };
      case "groupState": {
        const items: GroupStateItem[] = [];
        for (const session of local?.groups.get(query.group) ?? []) {
          const entry = session.groupStates.get(query.group);
          if (entry && !session.ended) items.push(stateItem(session, entry.state, entry.updatedAt));
        }
        return { kind: "groupState", value: items };
      }
      default: {
        const _never: never = query;
        return _never;
      }
    }
  }

  // --- local application ------------------------------------------------------------------

  /** Applies a command to this node's connections only. */
  apply(hub: string, command: ClusterCommand): void {
    // Remembered memberships do not depend on connections being here: they wait for them.
    switch (command.kind) {
      case "addUserToGroup":
        if (command.remember) this.registry.userGroups(hub).remember(command.userId, command.group, command.remember.expiresAt);
        break;
      case "removeUserFromGroup":
        this.registry.existingUserGroups(hub)?.forget(command.userId, command.group);
        break;
      case "removeUserFromAllGroups":
        this.registry.existingUserGroups(hub)?.forgetAll(command.userId);
        break;
      default:
        break;
    }
    if (command.kind === "groupStateChanged") {
      // Subscribers need not be members, so they are indexed apart from the groups.
      for (const session of this.stateSubscribers.of(hub, command.group) ?? []) {
        if (session.ended) continue;
        this.meter.outboundMessage(hub, "client", 0);
        session.sendControl({ kind: "groupStateUpdate", group: command.group, items: command.items });
      }
      return;
    }
    const local = this.registry.get(hub);
    if (!local) return;
    switch (command.kind) {
      case "deliver":
        this.deliver(local, command.target, command.message);
        return;
      case "addConnectionToGroup":
      case "removeConnectionFromGroup": {
        const session = local.connections.get(command.connectionId);
        if (!session) return;
        if (command.kind === "addConnectionToGroup") local.join(session, command.group);
        else local.leave(session, command.group);
        return;
      }
      case "removeConnectionFromAllGroups": {
        const session = local.connections.get(command.connectionId);
        if (session) for (const group of [...session.groups]) local.leave(session, group);
        return;
      }
      case "addUserToGroup":
        for (const session of local.users.get(command.userId) ?? []) local.join(session, command.group);
        return;
      case "removeUserFromGroup":
        for (const session of local.users.get(command.userId) ?? []) local.leave(session, command.group);
        return;
      case "removeUserFromAllGroups":
        for (const session of local.users.get(command.userId) ?? []) for (const group of [...session.groups]) local.leave(session, group);
        return;
      case "addToGroupsByFilter":
      case "removeFromGroupsByFilter": {
        const matches = this.safePredicate(command.filter);
        if (matches === null) return;
        const selected = [...local.connections.values()].filter((s) => !s.ended && (!matches || matches(s)));
        for (const session of selected) {
          for (const group of command.groups) {
            if (command.kind === "addToGroupsByFilter") local.join(session, group);
            else local.leave(session, group);
          }
        }
        return;
      }
      case "close":
        for (const session of this.closeTargets(local, command.target)) this.lifecycle.end(session, command.reason ?? "", { notifyClient: true });
        return;
      case "grantPermission":
      case "revokePermission": {
        const session = local.connections.get(command.connectionId);
        if (!session) return;
        if (command.kind === "grantPermission") session.permissions.grant(command.permission, command.targetName);
        else session.permissions.revoke(command.permission, command.targetName);
        return;
      }
      default: {
        const _never: never = command;
        return _never;
      }
    }
  }

  /** Fans a message out, serializing it once per protocol variant. */
  private deliver(local: HubConnections, target: DeliveryTarget, message: OutboundData): void {
    if (message.expiresAt !== undefined && this.options.clock.now() > message.expiresAt) return;
    const frames = new OutboundFrames(message);
    let overflowed: Array<{ session: ClientSession; outcome: Exclude<SendOutcome, "sent"> }> | undefined;
    // A raw client has no way to read a stream's end: the terminal frame carries no data.
    const skipRaw = message.stream?.endOfStream === true;
    const send = (session: ClientSession): void => {
      if (session.ended || (skipRaw && session.protocol === "raw")) return;
      const outcome = session.sendData(frames);
      if (outcome === "sent") this.meter.outboundMessage(local.hub, "client", frames.payloadBytes);
      else (overflowed ??= []).push({ session, outcome });
    };
    if (target.kind === "connection") {
      const session = local.connections.get(target.connectionId);
      if (session) send(session);
    } else {
      const candidates = target.kind === "all" ? local.connections.values() : target.kind === "user" ? local.users.get(target.userId) : local.groups.get(target.group);
      const matches = this.safePredicate(target.filter);
      if (candidates && matches !== null) {
        const excluded = target.kind !== "user" && target.excluded?.length ? new Set(target.excluded) : undefined;
        for (const session of candidates) {
          if (excluded?.has(session.connectionId)) continue;
          if (matches && !matches(session)) continue;
          send(session);
        }
      }
    }
    for (const { session, outcome } of overflowed ?? []) this.lifecycle.endOverLimit(session, outcome);
  }

  private closeTargets(local: HubConnections, target: CloseTarget): ClientSession[] {
    const excluded = target.kind !== "connection" && target.excluded?.length ? new Set(target.excluded) : undefined;
    let candidates: Iterable<ClientSession>;
    switch (target.kind) {
      case "all":
        candidates = local.connections.values();
        break;
      case "user":
        candidates = local.users.get(target.userId) ?? [];
        break;
      case "group":
        candidates = local.groups.get(target.group) ?? [];
        break;
      case "connection": {
        const session = local.connections.get(target.connectionId);
        candidates = session ? [session] : [];
        break;
      }
      default: {
        const _never: never = target;
        return _never;
      }
    }
    return [...candidates].filter((s) => !excluded?.has(s.connectionId));
  }

  /** undefined: no filter; null: a filter that cannot compile (validated upstream, so this is a remote node's problem). */
  private safePredicate(filter: string | undefined): SessionPredicate | undefined | null {
    try {
      return this.filters.predicate(filter);
    } catch (error) {
      this.options.logger.warn(`ignoring a command with an invalid filter: ${(error as Error).message}`);
      return null;
    }
  }

  private async askAll(hub: string, query: ClusterQuery): Promise<boolean> {
    const local = this.answerQuery(hub, query);
    if (local.kind === "boolean" && local.value) return true;
    const others = await this.queryOthers(hub, query);
    return others.some((answer) => answer.kind === "boolean" && answer.value);
  }

  private async queryOthers(hub: string, query: ClusterQuery): Promise<ClusterAnswer[]> {
    try {
      return await this.backplane.query(hub, query);
    } catch (error) {
      this.meter.backplaneError();
      this.options.logger.error(`backplane query failed: ${(error as Error).message}`);
      return [];
    }
  }
}
