import { WebPubSubClient } from "@azure/web-pubsub-client";
import type { OnGroupDataMessageArgs, OnServerDataMessageArgs } from "@azure/web-pubsub-client";
import { afterAll, afterEach, beforeAll } from "vitest";
import { createServer } from "../../../emulator/src/server";
import type { ServiceServer } from "../../../emulator/src/server";
import { createNegotiateHandler } from "../../../functions/negotiate";
import type { TriggerDeps } from "../../../functions/trigger-deps";
import { invoke, makeDeps } from "./trigger-harness";

export interface Received {
  from: "server" | "group";
  group?: string;
  dataType: string;
  data: unknown;
}

/** A real client connected through negotiate, recording every message it receives. */
export interface LiveClient {
  client: WebPubSubClient;
  connectionId: string;
  userId: string;
  received: Received[];
  /** Resolves once a message matching `predicate` has arrived (already or later). */
  waitFor(predicate: (message: Received) => boolean): Promise<Received>;
  disconnected: Promise<void>;
}

/** The local service on port 0 plus trigger deps pointing at it. */
export async function startService(settings: Record<string, string> = {}): Promise<{ server: ServiceServer; deps: TriggerDeps }> {
  const server = await createServer({ port: 0 });
  const deps = makeDeps({ WebPubSubConnectionString: server.connectionString, AllowedGroups: "*", ...settings });
  return { server, deps };
}

/** A suite's local service, and the clients its current test has connected. */
export interface LiveSuite {
  readonly server: ServiceServer;
  readonly deps: TriggerDeps;
  /** Clients connected by `connect` in the current test; stopped after it. */
  readonly clients: readonly LiveClient[];
  readonly connect: (userId: string, groups?: string[]) => Promise<LiveClient>;
}

/** Starts the local service for the calling suite and stops each test's clients after it. */
export function useLiveService(): LiveSuite {
  let service: { server: ServiceServer; deps: TriggerDeps } | undefined;
  const clients: LiveClient[] = [];
  const started = () => {
    if (!service) throw new Error("the live service starts in beforeAll");
    return service;
  };
  beforeAll(async () => {
    service = await startService();
  });
  afterAll(async () => {
    await started().server.close();
  });
  afterEach(() => {
    for (const live of clients.splice(0)) live.client.stop();
  });
  return {
    get server() {
      return started().server;
    },
    get deps() {
      return started().deps;
    },
    clients,
    connect: async (userId, groups = []) => {
      const live = await connectClient(started().deps, userId, groups);
      clients.push(live);
      return live;
    },
  };
}

/** Negotiates with the real trigger, then connects the official client SDK (reliable protocol). */
export async function connectClient(deps: TriggerDeps, userId: string, groups: string[] = []): Promise<LiveClient> {
  const query = new URLSearchParams([["userId", userId], ...groups.map((group) => ["group", group])]);
  const negotiated = await invoke(createNegotiateHandler(deps), { path: `/api/negotiate?${query}` });
  if (negotiated.status !== 200) throw new Error(`negotiate failed: ${JSON.stringify(negotiated.body)}`);
  const client = new WebPubSubClient((negotiated.body as { url: string }).url, { autoReconnect: false });
  const received: Received[] = [];
  const waiters: Array<{ predicate: (message: Received) => boolean; resolve: (message: Received) => void }> = [];
  const record = (message: Received) => {
    received.push(message);
    for (const waiter of [...waiters]) {
      if (waiter.predicate(message)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(message);
      }
    }
  };
  client.on("server-message", (event: OnServerDataMessageArgs) => record({ from: "server", dataType: event.message.dataType, data: event.message.data }));
  client.on("group-message", (event: OnGroupDataMessageArgs) => record({ from: "group", group: event.message.group, dataType: event.message.dataType, data: event.message.data }));
  const connected = new Promise<string>((resolve) => client.on("connected", (event) => resolve(event.connectionId)));
  const disconnected = new Promise<void>((resolve) => client.on("disconnected", () => resolve()));
  await client.start();
  const connectionId = await connected;
  return {
    client,
    connectionId,
    userId,
    received,
    disconnected,
    waitFor: (predicate) => {
      const found = received.find(predicate);
      return found ? Promise.resolve(found) : new Promise((resolve) => waiters.push({ predicate, resolve }));
    },
  };
}
