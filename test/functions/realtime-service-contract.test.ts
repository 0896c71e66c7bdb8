import { WebPubSubClient } from "@azure/web-pubsub-client";
import { HubConnectionBuilder, HubConnectionState, LogLevel, type IHubProtocol } from "@microsoft/signalr";
import { MessagePackHubProtocol } from "@microsoft/signalr-protocol-msgpack";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createServer, type ServiceServer } from "../../emulator/src/server";
import type { MessagePayload } from "../../shared/message-payload";
import type { RealtimeService } from "../../shared/realtime-service";
import type { SendOptions } from "../../shared/send-request";
import { makeDeps } from "./support/trigger-harness";

/** A connected client of either service, reduced to what the contract needs: the values it received. */
interface ContractClient {
  connectionId: string;
  received: unknown[];
  waitFor(value: unknown): Promise<void>;
  closed: Promise<void>;
  stop(): Promise<void>;
}

interface Implementation {
  name: string;
  start(): Promise<ServiceServer>;
  settings(server: ServiceServer): Record<string, string>;
  connect(service: RealtimeService, userId: string, index: number): Promise<ContractClient>;
  /** An option this service cannot honour, and the option's name in the 400. */
  unsupported: { options: SendOptions; option: string };
}

function recorder(): Pick<ContractClient, "received" | "waitFor"> & { record(value: unknown): void } {
  const received: unknown[] = [];
  const waiters: Array<{ value: unknown; resolve: () => void }> = [];
  return {
    received,
    record(value) {
      received.push(value);
      for (const waiter of waiters.filter((w) => JSON.stringify(w.value) === JSON.stringify(value))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    },
    waitFor: (value) =>
      received.some((v) => JSON.stringify(v) === JSON.stringify(value)) ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ value, resolve })),
  };
}

const implementations: Implementation[] = [
  {
    name: "Azure Web PubSub (official SDK, @azure/web-pubsub-client)",
    start: () => createServer({ port: 0 }),
    settings: (server) => ({ WebPubSubConnectionString: server.connectionString }),
    async connect(service, userId) {
      const { url } = (await service.negotiate({ userId, groups: [], roles: [], lifetimeMinutes: 60 })) as { url: string };
      const client = new WebPubSubClient(url, { autoReconnect: false });
      const log = recorder();
      client.on("server-message", (event) => log.record(event.message.data));
      const closed = new Promise<void>((resolve) => client.on("disconnected", () => resolve()));
      const connected = new Promise<string>((resolve) => client.on("connected", (event) => resolve(event.connectionId)));
      await client.start();
      return { connectionId: await connected, received: log.received, waitFor: log.waitFor, closed, stop: async () => client.stop() };
    },
    unsupported: { options: { excluded: [], clientMethod: "newMessage" }, option: "target" },
  },
  {
    name: "Azure SignalR Service (own REST client, @microsoft/signalr in JSON and MessagePack)",
    start: () => createServer({ port: 0, service: "signalr" }),
    settings: (server) => ({ RealtimeService: "signalr", AzureSignalRConnectionString: server.connectionString }),
    async connect(service, userId, index) {
      const { url, accessToken } = (await service.negotiate({ userId, groups: [], roles: [], lifetimeMinutes: 60 })) as { url: string; accessToken: string };
      let builder = new HubConnectionBuilder().withUrl(url, { accessTokenFactory: () => accessToken }).configureLogging(LogLevel.None);
      // Every other client speaks MessagePack, so each contract case covers both protocols.
      if (index % 2 === 1) builder = builder.withHubProtocol(new MessagePackHubProtocol() as IHubProtocol);
      const connection = builder.build();
      const log = recorder();
      connection.on("newMessage", (value: unknown) => log.record(value));
      const closed = new Promise<void>((resolve) => connection.onclose(() => resolve()));
      await connection.start();
      return {
        connectionId: connection.connectionId ?? "",
        received: log.received,
        waitFor: log.waitFor,
        closed,
        stop: () => (connection.state === HubConnectionState.Disconnected ? Promise.resolve() : connection.stop()),
      };
    },
    unsupported: { options: { excluded: [], filter: "userId eq 'a'" }, option: "filter" },
  },
];

const text = (value: string): MessagePayload => ({ dataType: "text", text: value, bytes: Buffer.byteLength(value) });
const json = (value: unknown): MessagePayload => ({ dataType: "json", value, bytes: Buffer.byteLength(JSON.stringify(value)) });
const none: SendOptions = { excluded: [] };

describe.each(implementations)("RealtimeService contract: $name", (implementation) => {
  let server: ServiceServer;
  let service: RealtimeService;
  const clients: ContractClient[] = [];
  const connect = async (userId: string) => {
    const client = await implementation.connect(service, userId, clients.length);
    clients.push(client);
    return client;
  };
  /** Every client has received everything sent before this marker (one connection's messages arrive in order). */
  const settle = async () => {
    const marker = `marker-${Math.random()}`;
    await service.send({ kind: "all" }, text(marker), none);
    await Promise.all(clients.map((client) => client.waitFor(marker)));
    for (const client of clients) client.received.splice(client.received.indexOf(marker), 1);
  };

  beforeAll(async () => {
    server = await implementation.start();
    service = makeDeps(implementation.settings(server)).service;
  });
  afterAll(async () => {
    await server.close();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.stop()));
  });

  it("delivers text to a user's connections, JSON to one connection, and nothing to anyone else", async () => {
    const [a1, a2, bob] = [await connect("alice"), await connect("alice"), await connect("bob")];
    await service.send({ kind: "user", userId: "alice" }, text("hi alice"), none);
    await service.send({ kind: "connection", connectionId: a2.connectionId }, json({ n: 1, list: [true, null, "x"] }), none);
    await settle();
    expect(a1.received).toEqual(["hi alice"]);
    expect(a2.received).toEqual(["hi alice", { n: 1, list: [true, null, "x"] }]);
    expect(bob.received).toEqual([]);
  });

  it("groups hold connections and users; sends reach members minus the excluded", async () => {
    const [a, b, c] = [await connect("ann"), await connect("ben"), await connect("cid")];
    await service.addConnectionToGroup("room", a.connectionId);
    await service.addConnectionToGroup("room", c.connectionId);
    await service.addUserToGroup("room", "ben");
    expect(await service.groupExists("room")).toBe(true);
    await service.send({ kind: "group", group: "room" }, text("to room"), { excluded: [c.connectionId] });
    await settle();
    expect([a.received, b.received, c.received]).toEqual([["to room"], ["to room"], []]);
    await service.removeConnectionFromGroup("room", a.connectionId);
    await service.removeUserFromGroup("room", "ben");
    await service.removeConnectionFromAllGroups(c.connectionId);
    expect(await service.groupExists("room")).toBe(false);
    await service.addUserToGroup("other", "ben");
    await service.removeUserFromAllGroups("ben");
    expect(await service.groupExists("other")).toBe(false);
  });

  it("broadcasts to every connection minus the excluded", async () => {
    const [a, b] = [await connect("dan"), await connect("eve")];
    await service.send({ kind: "all" }, json("to all"), { excluded: [b.connectionId] });
    await settle();
    expect([a.received, b.received]).toEqual([["to all"], []]);
  });

  it("answers existence checks and closes connections by id, user, group and all", async () => {
    const [f1, f2, g, h] = [await connect("fay"), await connect("fay"), await connect("gus"), await connect("hal")];
    expect(await service.connectionExists(f1.connectionId)).toBe(true);
    expect(await service.connectionExists("no-such-connection")).toBe(false);
    expect([await service.userExists("fay"), await service.userExists("nobody")]).toEqual([true, false]);
    await service.closeConnection(f1.connectionId, { reason: "one" });
    await f1.closed;
    await service.closeUserConnections("fay", { reason: "user" });
    await f2.closed;
    await service.addConnectionToGroup("closing", g.connectionId);
    await service.closeGroupConnections("closing", {});
    await g.closed;
    expect(await service.connectionExists(h.connectionId)).toBe(true);
    await service.closeAllConnections({ reason: "all" });
    await h.closed;
  });

  it("forHub addresses another hub of the same service, and only it", async () => {
    const other = service.forHub("Other");
    expect([other.kind, other.hub, service.forHub(service.hub)]).toEqual([service.kind, "Other", service]);
    const [inDefault, inOther] = [await connect("ivy"), await implementation.connect(other, "ivy", 1)];
    try {
      await other.send({ kind: "user", userId: "ivy" }, text("other hub"), none);
      await inOther.waitFor("other hub");
      // The default hub's marker proves its client got nothing; the other hub's client is not in it.
      await settle();
      expect([inDefault.received, inOther.received]).toEqual([[], ["other hub"]]);
    } finally {
      await inOther.stop();
    }
  });

  it("refuses an unknown connection in a group with ConnectionNotFound, and an option it lacks with UnsupportedOption", async () => {
    await expect(service.addConnectionToGroup("room", "no-such-connection")).rejects.toMatchObject({ code: "ConnectionNotFound", status: 404 });
    await expect(service.send({ kind: "all" }, text("x"), implementation.unsupported.options)).rejects.toMatchObject({
      code: "UnsupportedOption",
      status: 400,
      details: { option: implementation.unsupported.option },
    });
  });
});
