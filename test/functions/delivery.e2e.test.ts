import { describe, expect, it } from "vitest";
import { createBroadcastHandler } from "../../functions/broadcast";
import { createSendHandler } from "../../functions/send";
import { startService, useLiveService } from "./support/live-service";
import { invoke } from "./support/trigger-harness";

const suite = useLiveService();
const connect = suite.connect;

/**
 * Broadcasts a marker and waits until every client has it: messages to one connection arrive in
 * order, so whatever a client has not received before the marker, it was never sent.
 */
async function settle(): Promise<void> {
  const marker = `marker-${Math.random()}`;
  const result = await invoke(createBroadcastHandler(suite.deps), { method: "POST", path: "/api/broadcast", headers: { "content-type": "text/plain" }, body: marker });
  expect(result.status).toBe(202);
  await Promise.all(suite.clients.map((live) => live.waitFor((message) => message.data === marker)));
  for (const live of suite.clients) live.received.splice(live.received.findIndex((message) => message.data === marker), 1);
}

function post(path: string, contentType: string, body: string | Uint8Array) {
  const handler = path.startsWith("/api/broadcast") ? createBroadcastHandler(suite.deps) : createSendHandler(suite.deps);
  return invoke(handler, { method: "POST", path, headers: { "content-type": contentType }, body });
}

describe("send and broadcast deliver exactly to their target (real service, real clients)", () => {
  it("sends text to every connection of one user and nobody else", async () => {
    const [alice1, alice2, bob] = [await connect("alice"), await connect("alice"), await connect("bob")];
    const result = await post("/api/send?userId=alice", "text/plain; charset=utf-8", "hi alice");
    expect(result).toMatchObject({ status: 202, body: { target: { kind: "user", userId: "alice" }, dataType: "text", bytes: 8 } });
    await settle();
    expect(alice1.received).toEqual([{ from: "server", dataType: "text", data: "hi alice" }]);
    expect(alice2.received).toEqual([{ from: "server", dataType: "text", data: "hi alice" }]);
    expect(bob.received).toEqual([]);
  });

  it("sends JSON to one connection only, even when its user has another", async () => {
    const [first, second] = [await connect("carol"), await connect("carol")];
    const body = '{ "n": 1, "list": [true, null, "x"] }';
    const result = await post(`/api/send?connectionId=${encodeURIComponent(first.connectionId)}&messageTtlSeconds=300`, "application/json", body);
    expect(result).toMatchObject({ status: 202, body: { target: { kind: "connection", connectionId: first.connectionId }, dataType: "json", bytes: body.length } });
    await settle();
    expect(first.received).toEqual([{ from: "server", dataType: "json", data: { n: 1, list: [true, null, "x"] } }]);
    expect(second.received).toEqual([]);
  });

  it("sends binary to a group, minus the excluded connections", async () => {
    const members = [await connect("m1", ["room-1"]), await connect("m2", ["room-1"]), await connect("m3", ["room-1"])];
    const outsider = await connect("o1", ["room-2"]);
    const bytes = Uint8Array.from([0, 1, 2, 253, 254, 255]);
    const result = await post(`/api/send?group=room-1&excluded=${encodeURIComponent(members[1].connectionId)}`, "application/octet-stream", bytes);
    expect(result).toMatchObject({ status: 202, body: { target: { kind: "group", group: "room-1" }, dataType: "binary", bytes: 6 } });
    await settle();
    for (const live of [members[0], members[2]]) {
      expect(live.received).toHaveLength(1);
      expect(live.received[0].dataType).toBe("binary");
      expect([...new Uint8Array(live.received[0].data as ArrayBuffer)]).toEqual([0, 1, 2, 253, 254, 255]);
    }
    expect(members[1].received).toEqual([]);
    expect(outsider.received).toEqual([]);
  });

  it("broadcasts to every connection of the hub, minus excluded", async () => {
    const all = [await connect("b1"), await connect("b2", ["room-9"]), await connect("b3")];
    const result = await post(`/api/broadcast?excluded=${encodeURIComponent(all[2].connectionId)}`, "application/json", '"to everyone"');
    expect(result).toMatchObject({ status: 202, body: { target: { kind: "all", hub: "chat" }, dataType: "json", bytes: 13 } });
    await settle();
    expect(all[0].received).toEqual([{ from: "server", dataType: "json", data: "to everyone" }]);
    expect(all[1].received).toEqual([{ from: "server", dataType: "json", data: "to everyone" }]);
    expect(all[2].received).toEqual([]);
  });

  it("passes an OData filter through to the service", async () => {
    const [dave, erin, frank] = [await connect("dave", ["vip"]), await connect("erin"), await connect("frank", ["vip"])];
    const filter = encodeURIComponent("userId ne 'frank' and 'vip' in groups");
    const result = await post(`/api/broadcast?filter=${filter}`, "text/plain", "filtered");
    expect(result.status).toBe(202);
    await settle();
    expect(dave.received).toEqual([{ from: "server", dataType: "text", data: "filtered" }]);
    expect(erin.received).toEqual([]);
    expect(frank.received).toEqual([]);
  });

  it("delivers a body of exactly 1,048,576 bytes", async () => {
    const live = await connect("big");
    const text = "x".repeat(1_048_576);
    const result = await post("/api/send?userId=big", "text/plain", text);
    expect(result).toMatchObject({ status: 202, body: { dataType: "text", bytes: 1_048_576 } });
    const message = await live.waitFor((received) => typeof received.data === "string" && received.data.length > 1000);
    expect(message.data).toBe(text);
  });
});

describe("service failures: the caller's bad input stays 4xx, the rest comes back as 502", () => {
  it("maps the service's 400 for the caller's filter to 400 ServiceRejectedInput with the service's code", async () => {
    const result = await post(`/api/broadcast?filter=${encodeURIComponent("userId eq")}`, "text/plain", "x");
    expect(result.status).toBe(400);
    expect(result.body).toMatchObject({ code: "ServiceRejectedInput", serviceStatus: 400, serviceCode: "InvalidFilter" });
    expect((result.body as { message: string }).message).toMatch(/^Web PubSub answered 400 InvalidFilter: /);
  });

  it("maps a rejected access key to 502 ServiceError with the service's 401 code", async () => {
    const { makeDeps, connectionStringFor } = await import("./support/trigger-harness");
    const wrongKey = makeDeps({ WebPubSubConnectionString: connectionStringFor(suite.server.url, "a-different-access-key-of-44-characters-xxx") });
    const result = await invoke(createSendHandler(wrongKey), { method: "POST", path: "/api/send?userId=u", headers: { "content-type": "text/plain" }, body: "x" });
    expect(result.status).toBe(502);
    expect(result.body).toMatchObject({ code: "ServiceError", serviceStatus: 401, serviceCode: "InvalidToken" });
  });

  it("maps a stopped service to 502 ServiceUnreachable", async () => {
    const stopped = await startService();
    await stopped.server.close();
    const result = await invoke(createSendHandler(stopped.deps), { method: "POST", path: "/api/send?userId=u", headers: { "content-type": "text/plain" }, body: "x" });
    expect(result).toMatchObject({
      status: 502,
      body: { code: "ServiceUnreachable", serviceCode: "ECONNREFUSED", message: `Web PubSub at ${new URL(stopped.server.url).origin} could not be reached (ECONNREFUSED).` },
    });
  });
});
