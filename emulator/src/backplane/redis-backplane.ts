import { randomUUID } from "node:crypto";
import Redis from "ioredis";
import type { ClusterAnswer, ClusterCommand, ClusterQuery } from "../cluster/commands";
import type { Backplane, BackplaneNode } from "./backplane";
import { decodeBackplaneMessage, encodeBackplaneMessage, type BackplaneMessage } from "./backplane-envelope";
import { describeRedisUrl, resolveRedisBackplaneOptions, type ResolvedRedisBackplaneOptions, type RedisBackplaneOptions } from "./redis-backplane-options";

export { describeRedisUrl, type BackplaneLogger, type RedisBackplaneOptions } from "./redis-backplane-options";

// A socket error is followed by the close that reports the outage.
const SOCKET_ERRORS = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENOTFOUND"]);

/** How long a subscriber PUBLISH counted beyond the live nodes of a hub may take to answer. */
const GRACE_MS = 50;

/** Replies (answers, confirmations) expected from the live nodes that hold the channel. */
interface PendingReplies<T> {
  /** The live nodes that should answer, self excluded; unknown until the live set is read. */
  expected: ReadonlySet<string> | undefined;
  /** Other subscribers PUBLISH counted: live nodes that have not listed themselves yet, or ghosts. */
  othersCounted: number;
  /** Live nodes not listed under the hub (self excluded): the only ones a surplus count can be. */
  unlisted: ReadonlySet<string>;
  /** Armed once every expected node answered while PUBLISH counted more: those get a short grace. */
  grace: ReturnType<typeof setTimeout> | undefined;
  /** Nodes that answered: each counts once, whatever its sockets. */
  answered: Set<string>;
  replies: T[];
  settle: () => void;
}

/**
 * Links the service nodes of a cluster through Redis pub/sub.
 *
 * Channels: `<prefix>:hub:<hub>` carries every command and query of a hub except group
 * deliveries, which go to `<prefix>:hub:<hub>:group:<group>` so a node receives only the groups
 * it holds; `<prefix>:node:<nodeId>` carries the replies to this node's queries and commands;
 * `<prefix>:all` carries the user-group membership changes that every node must keep whether or
 * not it holds a connection of the hub yet (SignalR's remembered memberships).
 * Two connections: a subscriber (which Redis puts in pub/sub mode) and a publisher.
 * Publishing never queues and never throws: while Redis is down the node keeps delivering to
 * its own connections, and what other nodes would have received is dropped and counted.
 *
 * Who must answer: each node renews its entry in the sorted set `<prefix>:live` (score: expiry)
 * every `heartbeatIntervalMs`, and lists itself in `<prefix>:hubnodes:<hub>` while it holds
 * connections of the hub. A command or query waits for one reply from each live node of the hub
 * (every live node for `<prefix>:all`), never for PUBLISH's receiver count, which counts sockets
 * Redis still believes in: a half-open socket of a node that reconnected would add the full
 * timeout to every call until Redis noticed.
 */
export class RedisBackplane implements Backplane {
  readonly nodeId: string;
  private readonly options: ResolvedRedisBackplaneOptions;
  private readonly where: string;
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private node: BackplaneNode | undefined;
  private readonly errorListeners: Array<(error: Error) => void> = [];
  /** Channels this node wants, re-subscribed after every reconnect. */
  private readonly wantedChannels = new Set<string>();
  private readonly pendingSubscriptions = new Set<Promise<unknown>>();
  private readonly pendingAnswers = new Map<string, PendingReplies<ClusterAnswer>>();
  private readonly pendingApplies = new Map<string, PendingReplies<true>>();
  private linkDownSince: number | undefined;
  private droppedWhileDown = 0;
  private closed = false;
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  /** Hubs this node lists itself under. */
  private readonly hubs = new Set<string>();
  /** Outages are only reported after the first successful connection; before, `attach` fails instead. */
  private connectedOnce = false;

  constructor(options: RedisBackplaneOptions) {
    this.options = resolveRedisBackplaneOptions(options);
    this.nodeId = this.options.nodeId;
    this.where = describeRedisUrl(this.options.url);
    const connectionOptions = {
      lazyConnect: true,
      // Never queue while disconnected: a backlog would grow without bound and arrive stale.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: this.options.connectTimeoutMs,
      retryStrategy: (attempt: number) => Math.min(50 * 2 ** Math.min(attempt, 10), this.options.maxReconnectDelayMs),
    };
    this.publisher = new Redis(this.options.url, { ...connectionOptions, enableAutoPipelining: true, connectionName: `wps-pub-${this.nodeId}` });
    // We re-subscribe ourselves: ioredis forgets a channel whose SUBSCRIBE failed while offline.
    this.subscriber = new Redis(this.options.url, { ...connectionOptions, autoResubscribe: false, connectionName: `wps-sub-${this.nodeId}` });
    this.subscriber.on("messageBuffer", (_channel: Buffer, wire: Buffer) => this.receive(wire));
    for (const [role, connection] of [["publisher", this.publisher], ["subscriber", this.subscriber]] as const) {
      connection.on("error", (error: Error) => this.linkError(role, error));
      connection.on("close", () => this.linkDown(role));
      connection.on("ready", () => this.linkUp(role));
    }
  }

  async attach(node: BackplaneNode): Promise<void> {
    this.node = node;
    try {
      await Promise.all([this.publisher.connect(), this.subscriber.connect()]);
    } catch (error) {
      this.publisher.disconnect();
      this.subscriber.disconnect();
      throw new Error(`backplane: cannot connect to redis at ${this.where}: ${(error as Error).message}`);
    }
    await Promise.all([this.subscribe(this.replyChannel(this.nodeId)), this.subscribe(this.allNodesChannel())]);
    await this.beat();
    this.heartbeat = setInterval(() => void this.beat(), this.options.heartbeatIntervalMs);
    this.heartbeat.unref();
    this.connectedOnce = true;
    this.options.logger.info(`backplane: redis connected at ${this.where} as node ${this.nodeId}`);
  }

  async publish(hub: string, command: ClusterCommand): Promise<void> {
    const channel = this.channelOf(hub, command);
    // Deliveries and state updates are fire-and-forget, like messages.
    if (command.kind === "deliver" || command.kind === "groupStateChanged") {
      await this.send(channel, { kind: "command", origin: this.nodeId, hub, command });
      return;
    }
    // Membership, close and permission changes wait until every receiving node has applied them
    // (and subscribed to any group they activated), so a REST call that returns is visible cluster-wide.
    const ackId = randomUUID();
    await this.collectReplies(this.pendingApplies, ackId, this.options.applyTimeoutMs, channel, {
      kind: "command",
      origin: this.nodeId,
      hub,
      command,
      ackId,
    });
  }

  async query(hub: string, query: ClusterQuery): Promise<ClusterAnswer[]> {
    const requestId = randomUUID();
    return this.collectReplies(this.pendingAnswers, requestId, this.options.queryTimeoutMs, this.hubChannel(hub), {
      kind: "query",
      origin: this.nodeId,
      hub,
      requestId,
      query,
    });
  }

  groupActivated(hub: string, group: string): void {
    void this.subscribe(this.groupChannel(hub, group));
  }

  groupDeactivated(hub: string, group: string): void {
    const channel = this.groupChannel(hub, group);
    this.wantedChannels.delete(channel);
    if (this.subscriber.status === "ready") this.subscriber.unsubscribe(channel).catch((error: Error) => this.commandFailed(error));
  }

  hubActivated(hub: string): void {
    this.hubs.add(hub);
    void this.subscribe(this.hubChannel(hub)).then(() => this.listUnder(hub));
  }

  hubDeactivated(hub: string): void {
    this.hubs.delete(hub);
    if (this.publisher.status === "ready") this.publisher.srem(this.hubNodesKey(hub), this.nodeId).catch((error: Error) => this.commandFailed(error));
    const channel = this.hubChannel(hub);
    this.wantedChannels.delete(channel);
    if (this.subscriber.status === "ready") this.subscriber.unsubscribe(channel).catch((error: Error) => this.commandFailed(error));
  }

  onError(listener: (error: Error) => void): void {
    this.errorListeners.push(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    clearInterval(this.heartbeat);
    // Leave the live set at once, so no other node waits for this one.
    if (this.publisher.status === "ready") {
      const leaving = this.publisher.multi().zrem(this.liveKey(), this.nodeId);
      for (const hub of this.hubs) leaving.srem(this.hubNodesKey(hub), this.nodeId);
      await leaving.exec().catch(() => undefined);
    }
    this.closed = true;
    this.node = undefined;
    for (const pending of [...this.pendingAnswers.values(), ...this.pendingApplies.values()]) pending.settle();
    await Promise.all([quit(this.publisher), quit(this.subscriber)]);
  }

  // --- channels -----------------------------------------------------------------------------

  private hubChannel(hub: string): string {
    return `${this.options.channelPrefix}:hub:${hub}`;
  }

  private groupChannel(hub: string, group: string): string {
    return `${this.options.channelPrefix}:hub:${hub}:group:${group}`;
  }

  private liveKey(): string {
    return `${this.options.channelPrefix}:live`;
  }

  private hubNodesKey(hub: string): string {
    return `${this.options.channelPrefix}:hubnodes:${hub}`;
  }

  /** Renews this node's entry in the live set (and drops entries past their expiry). */
  private async beat(): Promise<void> {
    if (this.closed || this.publisher.status !== "ready") return;
    const now = Date.now();
    try {
      await this.publisher.multi().zadd(this.liveKey(), now + this.options.heartbeatTtlMs, this.nodeId).zremrangebyscore(this.liveKey(), "-inf", now).exec();
    } catch (error) {
      this.commandFailed(error as Error);
    }
  }

  private async listUnder(hub: string): Promise<void> {
    if (this.closed || !this.hubs.has(hub) || this.publisher.status !== "ready") return;
    await this.publisher.sadd(this.hubNodesKey(hub), this.nodeId).catch((error: Error) => this.commandFailed(error));
  }

  /**
   * The live nodes, self excluded, that a publication on `hub`'s channel must hear from, and the
   * live nodes not listed under the hub (one may have subscribed and not listed itself yet).
   */
  private async audience(hub: string, everyNode: boolean): Promise<{ expected: Set<string>; unlisted: Set<string> }> {
    if (this.publisher.status !== "ready") return { expected: new Set(), unlisted: new Set() };
    try {
      const now = Date.now();
      const batch = this.publisher.multi().zrangebyscore(this.liveKey(), now, "+inf");
      if (!everyNode) batch.smembers(this.hubNodesKey(hub));
      const results = (await batch.exec()) ?? [];
      const live = new Set((results[0]?.[1] as string[] | undefined) ?? []);
      live.delete(this.nodeId);
      if (everyNode) return { expected: live, unlisted: new Set() };
      const listed = new Set(((results[1]?.[1] as string[] | undefined) ?? []).filter((id) => live.has(id)));
      return { expected: listed, unlisted: new Set([...live].filter((id) => !listed.has(id))) };
    } catch (error) {
      this.commandFailed(error as Error);
      return { expected: new Set(), unlisted: new Set() };
    }
  }

  private allNodesChannel(): string {
    return `${this.options.channelPrefix}:all`;
  }

  /** Group deliveries to the group's channel; memberships that outlive connections to every node; the rest to the hub's. */
  private channelOf(hub: string, command: ClusterCommand): string {
    if (command.kind === "deliver" && command.target.kind === "group") return this.groupChannel(hub, command.target.group);
    const remembered =
      (command.kind === "addUserToGroup" && command.remember !== undefined) || command.kind === "removeUserFromGroup" || command.kind === "removeUserFromAllGroups";
    return remembered ? this.allNodesChannel() : this.hubChannel(hub);
  }

  private replyChannel(nodeId: string): string {
    return `${this.options.channelPrefix}:node:${nodeId}`;
  }

  private subscribe(channel: string): Promise<void> {
    this.wantedChannels.add(channel);
    // While disconnected the channel is only remembered; `linkUp` subscribes it.
    if (this.subscriber.status !== "ready") return Promise.resolve();
    const pending: Promise<unknown> = this.subscriber.subscribe(channel).catch((error: Error) => this.commandFailed(error));
    this.pendingSubscriptions.add(pending);
    return pending.then(() => {
      this.pendingSubscriptions.delete(pending);
    });
  }

  // --- sending ------------------------------------------------------------------------------

  /** Publishes one message; returns how many subscribers received it, 0 when Redis is unreachable. */
  private async send(channel: string, message: BackplaneMessage): Promise<number> {
    if (this.closed) return 0;
    if (this.publisher.status !== "ready") {
      this.droppedWhileDown += 1;
      return 0;
    }
    try {
      return await this.publisher.publish(channel, encodeBackplaneMessage(message));
    } catch (error) {
      this.droppedWhileDown += 1;
      this.commandFailed(error as Error);
      return 0;
    }
  }

  private async collectReplies<T>(
    table: Map<string, PendingReplies<T>>,
    id: string,
    timeoutMs: number,
    channel: string,
    message: BackplaneMessage & { hub: string },
  ): Promise<T[]> {
    let settle!: () => void;
    const settled = new Promise<void>((resolve) => (settle = resolve));
    const pending: PendingReplies<T> = { expected: undefined, othersCounted: 0, unlisted: new Set(), grace: undefined, answered: new Set(), replies: [], settle };
    table.set(id, pending);
    const timer = setTimeout(settle, timeoutMs);
    try {
      const subscribedHere = this.wantedChannels.has(channel) && this.subscriber.status === "ready";
      const [audience, counted] = await Promise.all([this.audience(message.hub, channel === this.allNodesChannel()), this.send(channel, message)]);
      pending.othersCounted = Math.max(0, counted - (subscribedHere ? 1 : 0));
      pending.unlisted = audience.unlisted;
      pending.expected = audience.expected;
      this.settleIfComplete(pending);
      await settled;
      return pending.replies;
    } finally {
      clearTimeout(timer);
      clearTimeout(pending.grace);
      table.delete(id);
    }
  }

  /**
   * Done once every live node of the hub answered. When PUBLISH counted more subscribers than that
   * (a node that subscribed but has not listed itself yet, or a ghost socket), they get
   * `GRACE_MS` more, never the whole timeout.
   */
  private settleIfComplete(pending: PendingReplies<unknown>): void {
    if (pending.expected === undefined) return;
    for (const node of pending.expected) if (!pending.answered.has(node)) return;
    const lateListers = [...pending.unlisted].some((node) => !pending.answered.has(node));
    // A surplus with no live node left that could explain it is a ghost socket: nothing to wait for.
    if (pending.answered.size >= pending.othersCounted || !lateListers) {
      pending.settle();
      return;
    }
    pending.grace ??= setTimeout(pending.settle, GRACE_MS);
  }

  // --- receiving ----------------------------------------------------------------------------

  private receive(wire: Buffer): void {
    let message: BackplaneMessage | null;
    try {
      message = decodeBackplaneMessage(wire);
    } catch (error) {
      this.report(error as Error);
      return;
    }
    if (message === null) return;
    if (message.origin === this.nodeId) return; // our own publication, echoed by Redis
    const node = this.node;
    if (!node) return;
    switch (message.kind) {
      case "command":
        this.applyCommand(node, message);
        return;
      case "query":
        this.answerQuery(node, message);
        return;
      case "answer":
        this.addReply(this.pendingAnswers, message.requestId, message.origin, message.answer);
        return;
      case "applied":
        this.addReply(this.pendingApplies, message.ackId, message.origin, true as const);
        return;
      default: {
        const _never: never = message;
        return _never;
      }
    }
  }

  private applyCommand(node: BackplaneNode, message: Extract<BackplaneMessage, { kind: "command" }>): void {
    try {
      node.applyRemoteCommand(message.hub, message.command);
    } catch (error) {
      this.report(error as Error);
    }
    const { ackId, origin } = message;
    if (ackId === undefined) return;
    // Confirm only once the subscriptions this command caused are in place at Redis.
    void Promise.allSettled([...this.pendingSubscriptions]).then(() =>
      this.send(this.replyChannel(origin), { kind: "applied", origin: this.nodeId, ackId }),
    );
  }

  private answerQuery(node: BackplaneNode, message: Extract<BackplaneMessage, { kind: "query" }>): void {
    let answer: ClusterAnswer;
    try {
      answer = node.answerQuery(message.hub, message.query);
    } catch (error) {
      this.report(error as Error);
      return;
    }
    void this.send(this.replyChannel(message.origin), { kind: "answer", origin: this.nodeId, requestId: message.requestId, answer });
  }

  private addReply<T>(table: Map<string, PendingReplies<T>>, id: string, origin: string, reply: T): void {
    const pending = table.get(id);
    if (!pending) return; // late reply after the timeout
    if (pending.answered.has(origin)) return; // one reply per node, whatever its sockets
    pending.answered.add(origin);
    pending.replies.push(reply);
    this.settleIfComplete(pending);
  }

  // --- link state ---------------------------------------------------------------------------

  private linkError(role: string, error: Error): void {
    // Before the first connection `attach` fails instead; during an outage ioredis repeats the
    // same error on every attempt; a socket error is followed by the close that reports the outage.
    if (this.closed || !this.connectedOnce || this.linkDownSince !== undefined) return;
    if (SOCKET_ERRORS.has((error as NodeJS.ErrnoException).code ?? "")) return;
    this.report(new Error(`redis ${role} error: ${error.message}`));
  }

  private linkDown(role: string): void {
    if (this.closed || !this.connectedOnce || this.linkDownSince !== undefined) return;
    this.linkDownSince = Date.now();
    this.droppedWhileDown = 0;
    // Reported once, through onError: the node logs it as "backplane: redis disconnected …" and counts it.
    this.report(new Error(`redis disconnected at ${this.where} (${role}); local delivery continues, messages to other nodes are dropped until it reconnects`));
  }

  private linkUp(role: string): void {
    if (role === "subscriber") {
      for (const channel of this.wantedChannels) void this.subscribe(channel);
    }
    if (role === "publisher" && this.connectedOnce) {
      void this.beat();
      for (const hub of this.hubs) void this.listUnder(hub);
    }
    if (this.linkDownSince === undefined || this.publisher.status !== "ready" || this.subscriber.status !== "ready") return;
    const downMs = Date.now() - this.linkDownSince;
    this.options.logger.info(
      `backplane: redis reconnected at ${this.where} after ${downMs} ms; ${this.droppedWhileDown} messages to other nodes were dropped meanwhile`,
    );
    this.linkDownSince = undefined;
  }

  /**
   * A command that fails because its connection stopped being writable between the status check
   * and the write is a message dropped by the outage, which `linkDown` reports once; anything else
   * is reported as it comes.
   */
  private commandFailed(error: Error): void {
    if (this.closed || this.linkDownSince !== undefined || UNWRITABLE.some((text) => error.message.includes(text))) return;
    this.report(error);
  }

  private report(error: Error): void {
    for (const listener of this.errorListeners) listener(error);
  }
}

/** What ioredis says when a command meets a connection that is closing or reconnecting. */
const UNWRITABLE = ["Stream isn't writeable", "Connection is closed"];

async function quit(connection: Redis): Promise<void> {
  if (connection.status === "end") return;
  if (connection.status !== "ready") {
    connection.disconnect();
    return;
  }
  try {
    await connection.quit();
  } catch {
    connection.disconnect();
  }
}
