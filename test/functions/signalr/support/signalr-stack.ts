import type { HttpHandler } from "@azure/functions";
import { HubConnectionBuilder, HubConnectionState, LogLevel, type HubConnection, type IHubProtocol } from "@microsoft/signalr";
import { MessagePackHubProtocol } from "@microsoft/signalr-protocol-msgpack";
import { afterAll, afterEach, beforeAll } from "vitest";
import { createServer, type ServiceServer } from "../../../../emulator/src/server";
import { createAllConnectionsHandler } from "../../../../functions/all-connections";
import { createBroadcastHandler } from "../../../../functions/broadcast";
import { createConnectionHandler } from "../../../../functions/connection";
import { createConnectionGroupsHandler } from "../../../../functions/connection-groups";
import { createGroupHandler } from "../../../../functions/group";
import { createGroupConnectionHandler } from "../../../../functions/group-connection";
import { createGroupConnectionsHandler } from "../../../../functions/group-connections";
import { createGroupMemberCountHandler } from "../../../../functions/group-member-count";
import { createGroupMembersHandler } from "../../../../functions/group-members";
import { createGroupUserHandler } from "../../../../functions/group-user";
import { createGroupMembershipHandler } from "../../../../functions/join-group";
import { createNegotiateHandler } from "../../../../functions/negotiate";
import { routes } from "../../../../functions/routes";
import { createSendHandler } from "../../../../functions/send";
import { createSignalRUpstreamHandler } from "../../../../functions/signalr-upstream";
import type { TriggerDeps } from "../../../../functions/trigger-deps";
import { createUserHandler } from "../../../../functions/user";
import { createUserConnectionsHandler } from "../../../../functions/user-connections";
import { createUserGroupsHandler } from "../../../../functions/user-groups";
import { createUserOnlineHandler } from "../../../../functions/user-online";
import { createFunctionsHost, type FunctionsHost } from "../../../../host/functions-host";
import { makeDeps } from "../../support/trigger-harness";

/** The triggers served over real HTTP, built from the suite's deps (the route table's own entries otherwise read process.env). */
const factories: Record<string, (deps: TriggerDeps) => HttpHandler> = {
  negotiate: createNegotiateHandler,
  send: createSendHandler,
  broadcast: createBroadcastHandler,
  groupUser: createGroupUserHandler,
  groupConnection: createGroupConnectionHandler,
  userGroups: createUserGroupsHandler,
  connectionGroups: createConnectionGroupsHandler,
  connection: createConnectionHandler,
  allConnections: createAllConnectionsHandler,
  user: createUserHandler,
  userConnections: createUserConnectionsHandler,
  group: createGroupHandler,
  groupConnections: createGroupConnectionsHandler,
  signalrUpstream: createSignalRUpstreamHandler,
  joinGroup: (deps: TriggerDeps) => createGroupMembershipHandler("join", deps),
  leaveGroup: (deps: TriggerDeps) => createGroupMembershipHandler("leave", deps),
  groupMembers: createGroupMembersHandler,
  groupMemberCount: createGroupMemberCountHandler,
  userOnline: createUserOnlineHandler,
};

export type ProtocolName = "json" | "messagepack";

/** One `@microsoft/signalr` client connected through the function app's negotiate, recording `newMessage` (and any `also` method). */
export interface LiveHubClient {
  connection: HubConnection;
  connectionId: string;
  userId: string;
  protocol: ProtocolName;
  /** `[method, ...arguments]` in arrival order. */
  received: unknown[][];
  waitFor(predicate: (message: unknown[]) => boolean): Promise<unknown[]>;
  closed: Promise<Error | undefined>;
}

export interface SignalRSuite {
  readonly service: ServiceServer;
  readonly host: FunctionsHost;
  readonly deps: TriggerDeps;
  /** `http://localhost:<port>/api` */
  readonly functionsBase: string;
  readonly clients: readonly LiveHubClient[];
  connect(userId: string, protocol?: ProtocolName, also?: string[]): Promise<LiveHubClient>;
  /** Calls a trigger over HTTP. */
  call(method: string, path: string, init?: { contentType?: string; body?: string | Uint8Array }): Promise<{ status: number; body: unknown }>;
  /** Broadcasts a marker and waits until every client of the test has it, so what they lack was never sent. */
  settle(): Promise<void>;
}

/**
 * The local SignalR service (port 0) with its upstream pointed at the function app's SignalR
 * trigger, and the triggers on the local functions host (port 0), configured with
 * `RealtimeService=signalr` and the service's own connection string.
 */
export function useSignalRStack(settings: Record<string, string> = {}): SignalRSuite {
  let state: { service: ServiceServer; host: FunctionsHost; deps: TriggerDeps } | undefined;
  const handlers = new Map<string, HttpHandler>();
  const clients: LiveHubClient[] = [];
  const started = () => {
    if (!state) throw new Error("the SignalR stack starts in beforeAll");
    return state;
  };
  beforeAll(async () => {
    const host = await createFunctionsHost({
      port: 0,
      routes: routes
        .filter((route) => factories[route.name] !== undefined)
        .map((route) => ({ ...route, handler: (request, context) => handlers.get(route.name)!(request, context) })),
    });
    const service = await createServer({
      port: 0,
      service: "signalr",
      signalr: { upstream: [{ urlTemplate: `${host.url}/api/signalr/{hub}/{category}/{event}` }] },
    });
    const deps = makeDeps({ RealtimeService: "signalr", AzureSignalRConnectionString: service.connectionString, AllowedGroups: "*", ...settings });
    for (const [name, create] of Object.entries(factories)) handlers.set(name, create(deps));
    state = { service, host, deps };
  });
  afterAll(async () => {
    await state?.service.close();
    await state?.host.close();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((live) => (live.connection.state === HubConnectionState.Disconnected ? undefined : live.connection.stop())));
  });

  const suite: SignalRSuite = {
    get service() {
      return started().service;
    },
    get host() {
      return started().host;
    },
    get deps() {
      return started().deps;
    },
    get functionsBase() {
      return `${started().host.url}/api`;
    },
    clients,
    async connect(userId, protocol = "json", also = []) {
      const live = await connectHubClient(suite.functionsBase, userId, protocol, also);
      clients.push(live);
      return live;
    },
    async call(method, path, init = {}) {
      const response = await fetch(`${suite.functionsBase}${path}`, {
        method,
        headers: init.contentType ? { "content-type": init.contentType } : {},
        body: init.body as BodyInit | undefined,
      });
      const text = await response.text();
      return { status: response.status, body: text === "" ? null : (JSON.parse(text) as unknown) };
    },
    async settle() {
      const marker = `marker-${Math.random()}`;
      const sent = await suite.call("POST", "/broadcast", { contentType: "text/plain", body: marker });
      if (sent.status !== 202) throw new Error(`marker broadcast failed: ${JSON.stringify(sent)}`);
      const live = clients.filter((client) => client.connection.state === HubConnectionState.Connected);
      await Promise.all(live.map((client) => client.waitFor((message) => message[1] === marker)));
      for (const client of live) client.received.splice(client.received.findIndex((message) => message[1] === marker), 1);
    },
  };
  return suite;
}

/** Connects exactly as an app would: `withUrl(<function base>?userId=…)`; the client negotiates through the function. */
export async function connectHubClient(functionsBase: string, userId: string, protocol: ProtocolName, also: string[] = []): Promise<LiveHubClient> {
  let builder = new HubConnectionBuilder().withUrl(`${functionsBase}?userId=${encodeURIComponent(userId)}`).configureLogging(LogLevel.None);
  if (protocol === "messagepack") builder = builder.withHubProtocol(new MessagePackHubProtocol() as IHubProtocol);
  const connection = builder.build();
  const received: unknown[][] = [];
  const waiters: Array<{ predicate: (message: unknown[]) => boolean; resolve: (message: unknown[]) => void }> = [];
  const record = (message: unknown[]) => {
    received.push(message);
    for (const waiter of [...waiters]) {
      if (waiter.predicate(message)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(message);
      }
    }
  };
  for (const method of ["newMessage", ...also]) connection.on(method, (...args: unknown[]) => record([method, ...args]));
  const closed = new Promise<Error | undefined>((resolve) => connection.onclose(resolve));
  await connection.start();
  return {
    connection,
    connectionId: connection.connectionId ?? "",
    userId,
    protocol,
    received,
    closed,
    waitFor: (predicate) => {
      const found = received.find(predicate);
      return found ? Promise.resolve(found) : new Promise((resolve) => waiters.push({ predicate, resolve }));
    },
  };
}
