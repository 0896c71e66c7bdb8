import { randomUUID } from "node:crypto";
import { WebPubSubServiceClient } from "@azure/web-pubsub";
import { WebPubSubClient, WebPubSubJsonProtocol, WebPubSubJsonReliableProtocol, type OnGroupDataMessageArgs, type OnServerDataMessageArgs } from "@azure/web-pubsub-client";
import { RedisBackplane } from "../../emulator/src/backplane/redis-backplane";
import { createServer, type ServiceServer } from "../../emulator/src/server";

/** Two (or more) service nodes on port 0 sharing one Redis under a private channel prefix. */
export async function startCluster(redisUrl: string, size: number, options: { recoveryWindowMs?: number } = {}): Promise<ServiceServer[]> {
  const channelPrefix = `so${randomUUID().slice(0, 8)}`;
  const nodes: ServiceServer[] = [];
  for (let i = 0; i < size; i++) {
    const backplane = new RedisBackplane({ url: redisUrl, nodeId: `node-${i}`, channelPrefix });
    nodes.push(await createServer({ port: 0, host: "127.0.0.1", backplane, ...options }));
  }
  return nodes;
}

export function restClient(node: ServiceServer, hub: string): WebPubSubServiceClient {
  return new WebPubSubServiceClient(node.connectionString, hub, { allowInsecureConnection: true });
}

/** One official SDK client and everything it received. */
export interface TestClient {
  readonly client: WebPubSubClient;
  readonly connectionId: string;
  readonly userId: string | undefined;
  readonly server: unknown[];
  readonly group: Array<{ group: string; data: unknown }>;
  /** Resolves with the disconnected message once the service ends the connection. */
  readonly disconnected: Promise<string | undefined>;
  /** Resolves once `server.length + group.length` reaches `count`. */
  received(count: number): Promise<void>;
  /** Connection ids of every `connected` event so far (a new one after each reconnect). */
  readonly connectionIds: string[];
  /** Resolves once the client has been connected `count` times. */
  connectedTimes(count: number): Promise<void>;
}

export async function connectClient(
  node: ServiceServer,
  hub: string,
  options: { userId?: string; roles?: string[]; groups?: string[]; reliable?: boolean; urlFor?: () => Promise<string> } = {},
): Promise<TestClient> {
  const tokens = restClient(node, hub);
  const mint = async (): Promise<string> => (await tokens.getClientAccessToken({ userId: options.userId, roles: options.roles, groups: options.groups })).url;
  const client = new WebPubSubClient(
    { getClientAccessUrl: options.urlFor ?? mint },
    {
      protocol: options.reliable ? WebPubSubJsonReliableProtocol() : WebPubSubJsonProtocol(),
      autoReconnect: options.reliable === true,
      reconnectRetryOptions: { retryDelayInMs: 100, maxRetryDelayInMs: 200, maxRetries: 50 },
      messageRetryOptions: { maxRetries: 0 },
    },
  );
  const server: unknown[] = [];
  const group: Array<{ group: string; data: unknown }> = [];
  let waiters: Array<{ count: number; resolve: () => void }> = [];
  const check = (): void => {
    waiters = waiters.filter((w) => {
      if (server.length + group.length < w.count) return true;
      w.resolve();
      return false;
    });
  };
  client.on("server-message", (e: OnServerDataMessageArgs) => {
    server.push(e.message.data);
    check();
  });
  client.on("group-message", (e: OnGroupDataMessageArgs) => {
    group.push({ group: e.message.group, data: e.message.data });
    check();
  });
  const disconnected = new Promise<string | undefined>((resolve) => client.on("disconnected", (e) => resolve(e.message?.message)));
  const connectionIds: string[] = [];
  let connectWaiters: Array<{ count: number; resolve: () => void }> = [];
  client.on("connected", (e) => {
    connectionIds.push(e.connectionId);
    connectWaiters = connectWaiters.filter((w) => (connectionIds.length >= w.count ? (w.resolve(), false) : true));
  });
  const connectedTimes = (count: number): Promise<void> =>
    connectionIds.length >= count ? Promise.resolve() : new Promise((resolve) => connectWaiters.push({ count, resolve }));
  await client.start();
  await connectedTimes(1);
  const connectionId = connectionIds[0]!;
  return {
    client,
    connectionId,
    userId: options.userId,
    server,
    group,
    disconnected,
    connectionIds,
    connectedTimes,
    received(count) {
      if (server.length + group.length >= count) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
  };
}

/**
 * Sends a marker to each client by connection id through `via` and waits until it arrives:
 * every message sent through `via` before the barrier has then arrived (one publisher, one
 * subscriber: Redis keeps their order), so counts taken after it are final. The marker is removed.
 */
export async function barrier(via: WebPubSubServiceClient, clients: TestClient[]): Promise<void> {
  const marker = { barrier: randomUUID() };
  const isMarker = (x: unknown): boolean => typeof x === "object" && x !== null && (x as { barrier?: unknown }).barrier === marker.barrier;
  await Promise.all(clients.map((c) => via.sendToConnection(c.connectionId, marker)));
  await Promise.all(
    clients.map(async (c) => {
      while (!c.server.some(isMarker)) await c.received(c.server.length + c.group.length + 1);
      const at = c.server.findIndex(isMarker);
      if (at !== c.server.length - 1) throw new Error(`barrier overtaken by ${c.server.length - 1 - at} message(s)`);
      c.server.splice(at, 1);
    }),
  );
}
