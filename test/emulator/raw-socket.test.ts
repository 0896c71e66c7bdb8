import { afterEach, describe, expect, it } from "vitest";
import type { ServiceServer } from "../../emulator/src/server";
import type { UpstreamDispatcher } from "../../emulator/src/upstream/upstream-dispatcher";
import { noUpstream } from "../../emulator/src/upstream/upstream-dispatcher";
import { EmulatorFixture, type OpenSocket } from "./support/emulator-fixture";

const JSON_PROTOCOL = "json.webpubsub.azure.v1";
const fixture = new EmulatorFixture();
afterEach(() => fixture.cleanup());

async function connect(server: ServiceServer, protocol?: string, options: { userId?: string; roles?: string[]; groups?: string[] } = {}): Promise<OpenSocket> {
  const open = await fixture.openSocket(await fixture.clientUrl(server, "hub1", { userId: "u1", ...options }), protocol);
  if (protocol) await open.inbox.jsonWhere((f) => f.type === "system");
  return open;
}

/** Proves the service is still serving: a fresh bystander gets a broadcast. */
async function expectStillServing(server: ServiceServer, bystander: OpenSocket): Promise<void> {
  const before = bystander.inbox.frames.length;
  await fixture.serviceClient(server).sendToAll("still here", { contentType: "text/plain" });
  const frames = await bystander.inbox.frameCount(before + 1);
  expect(frames[before]!.data.toString()).toBe("still here");
}

describe("raw clients", () => {
  it("get json and text as text frames and binary as a binary frame, with the exact bytes", async () => {
    const server = await fixture.start();
    const { inbox } = await connect(server);
    const service = fixture.serviceClient(server);
    await service.sendToAll({ a: [1, 2] });
    await service.sendToAll("héllo", { contentType: "text/plain" });
    await service.sendToAll(Buffer.from([0, 1, 254, 255]));
    const frames = await inbox.frameCount(3);
    expect(frames.map((f) => f.isBinary)).toEqual([false, false, true]);
    expect(frames[0]!.data.toString()).toBe('{"a":[1,2]}');
    expect(frames[1]!.data.toString()).toBe("héllo");
    expect(frames[2]!.data).toEqual(Buffer.from([0, 1, 254, 255]));
  });

  it("send frames upstream as the user event message (text and binary) and get the handler's response back", async () => {
    const events: Array<{ event: string; dataType: string; data: string }> = [];
    const upstream: UpstreamDispatcher = {
      ...noUpstream,
      userEvent: async (_c, event, dataType, data) => {
        events.push({ event, dataType, data: Buffer.from(data).toString("hex") });
        return { kind: "handled", response: { dataType: "text", data: Buffer.from("echo") } };
      },
    };
    const server = await fixture.start({ upstream });
    const { socket, inbox } = await connect(server);
    socket.send("hi");
    socket.send(Buffer.from([7, 8]), { binary: true });
    const frames = await inbox.frameCount(2);
    expect(frames.map((f) => f.data.toString())).toEqual(["echo", "echo"]);
    expect(events).toEqual([
      { event: "message", dataType: "text", data: Buffer.from("hi").toString("hex") },
      { event: "message", dataType: "binary", data: "0708" },
    ]);
  });

  it("are closed with 1011 when the upstream event fails; others are unaffected", async () => {
    const upstream: UpstreamDispatcher = { ...noUpstream, userEvent: async () => ({ kind: "failed", message: "500 from handler" }) };
    const server = await fixture.start({ upstream });
    const bystander = await connect(server);
    const { socket, inbox } = await connect(server);
    socket.send("boom");
    expect((await inbox.closeEvent()).code).toBe(1011);
    await expectStillServing(server, bystander);
  });
});

describe("malformed frames on the JSON subprotocol", () => {
  it.each([
    ["bad JSON", 1007, "{not json"],
    ["a JSON array", 1007, "[1,2]"],
    ["no type", 1007, '{"group":"g"}'],
    ["joinGroup without a group and without ackId", 1007, '{"type":"joinGroup"}'],
    ["sendToGroup with an unknown dataType", 1007, '{"type":"sendToGroup","group":"g","dataType":"xml","data":"x"}'],
  ])("%s closes with %i; the process keeps serving others", async (_name, code, frame) => {
    const server = await fixture.start();
    const bystander = await connect(server);
    const { socket, inbox } = await connect(server, JSON_PROTOCOL);
    socket.send(frame);
    expect((await inbox.closeEvent()).code).toBe(code);
    await expectStillServing(server, bystander);
  });

  it("a binary frame closes with 1003", async () => {
    const server = await fixture.start();
    const bystander = await connect(server);
    const { socket, inbox } = await connect(server, JSON_PROTOCOL);
    socket.send(Buffer.from([1, 2, 3]), { binary: true });
    expect((await inbox.closeEvent()).code).toBe(1003);
    await expectStillServing(server, bystander);
  });

  it("a frame over maxClientFrameBytes closes with 1009, and exactly the limit passes", async () => {
    const server = await fixture.start({ maxClientFrameBytes: 1024 });
    const bystander = await connect(server);
    const { socket, inbox } = await connect(server);
    socket.send("x".repeat(1024));
    socket.send("x".repeat(1025));
    expect((await inbox.closeEvent()).code).toBe(1009);
    await expectStillServing(server, bystander);
  });

  it("an unknown type is ignored and the connection keeps working", async () => {
    const server = await fixture.start();
    const { socket, inbox } = await connect(server, JSON_PROTOCOL);
    socket.send('{"type":"futureThing","x":1}');
    socket.send('{"type":"ping"}');
    expect(await inbox.jsonWhere((f) => f.type === "pong")).toEqual({ type: "pong" });
    expect(inbox.json().map((f) => f.type)).toEqual(["system", "pong"]);
    expect(inbox.closed).toBeUndefined();
  });

  it("an invalid message with an ackId gets a BadRequest ack and the connection stays", async () => {
    const server = await fixture.start();
    const { socket, inbox } = await connect(server, JSON_PROTOCOL, { roles: ["webpubsub.joinLeaveGroup"] });
    socket.send(JSON.stringify({ type: "joinGroup", group: "", ackId: 5 }));
    socket.send(JSON.stringify({ type: "joinGroup", group: "ok", ackId: 6 }));
    await inbox.frameCount(3);
    expect(inbox.json().slice(1)).toEqual([
      { type: "ack", ackId: 5, success: false, error: { name: "BadRequest", message: "group must be a string of 1-1024 characters, not only whitespace" } },
      { type: "ack", ackId: 6, success: true },
    ]);
  });
});

describe("JSON protocol frames", () => {
  it("sendToGroup: exact frames to members, noEcho honoured, a duplicate ackId not re-delivered", async () => {
    const server = await fixture.start();
    const roles = ["webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"];
    const a = await connect(server, JSON_PROTOCOL, { userId: "alice", roles, groups: ["g"] });
    const b = await connect(server, JSON_PROTOCOL, { userId: "bob", roles, groups: ["g"] });
    const raw = await connect(server, undefined, { userId: "carol", groups: ["g"] });
    a.socket.send(JSON.stringify({ type: "sendToGroup", group: "g", ackId: 1, noEcho: true, dataType: "binary", data: "AQI=" }));
    a.socket.send(JSON.stringify({ type: "sendToGroup", group: "g", ackId: 1, noEcho: true, dataType: "binary", data: "AQI=" }));
    await a.inbox.frameCount(3);
    expect(a.inbox.json().slice(1)).toEqual([
      { type: "ack", ackId: 1, success: true },
      { type: "ack", ackId: 1, success: false, error: { name: "Duplicate", message: "Message with ackId 1 was already processed." } },
    ]);
    expect((await b.inbox.frameCount(2))[1]!.data.toString()).toBe('{"type":"message","from":"group","group":"g","fromUserId":"alice","dataType":"binary","data":"AQI="}');
    const rawFrames = await raw.inbox.frameCount(1);
    expect(rawFrames[0]).toEqual({ data: Buffer.from([1, 2]), isBinary: true });
    // Nothing more arrives for the duplicate: a later message is the next frame everyone gets.
    a.socket.send(JSON.stringify({ type: "sendToGroup", group: "g", noEcho: false, dataType: "text", data: "end" }));
    await a.inbox.frameCount(4);
    await b.inbox.frameCount(3);
    expect(b.inbox.json().slice(1).map((f) => f.data)).toEqual(["AQI=", "end"]);
    expect((await raw.inbox.frameCount(2)).map((f) => f.data.toString("hex"))).toEqual(["0102", Buffer.from("end").toString("hex")]);
  });

  it("event: the handler's response comes before the ack; a failed handler gives InternalServerError", async () => {
    let fail = false;
    const upstream: UpstreamDispatcher = {
      ...noUpstream,
      userEvent: async (_c, event, dataType, data) =>
        fail ? { kind: "failed", message: "handler down" } : { kind: "handled", response: { dataType: "json", data: Buffer.from(JSON.stringify({ event, dataType, got: Buffer.from(data).toString() })) } },
    };
    const server = await fixture.start({ upstream });
    const { socket, inbox } = await connect(server, JSON_PROTOCOL);
    socket.send(JSON.stringify({ type: "event", event: "calc", ackId: 9, dataType: "json", data: { n: 1 } }));
    await inbox.frameCount(3);
    expect(inbox.json().slice(1)).toEqual([
      { type: "message", from: "server", dataType: "json", data: { event: "calc", dataType: "json", got: '{"n":1}' } },
      { type: "ack", ackId: 9, success: true },
    ]);
    fail = true;
    socket.send(JSON.stringify({ type: "event", event: "calc", ackId: 10, dataType: "text", data: "x" }));
    await inbox.frameCount(4);
    expect(inbox.json()[3]).toEqual({ type: "ack", ackId: 10, success: false, error: { name: "InternalServerError", message: "handler down" } });
  });

  it("a REST close with a reason sends system disconnected first", async () => {
    const server = await fixture.start();
    const { inbox } = await connect(server, JSON_PROTOCOL);
    const connectionId = inbox.json()[0]!.connectionId as string;
    await fixture.serviceClient(server).closeConnection(connectionId, { reason: "bye now" });
    expect(await inbox.closeEvent()).toEqual({ code: 1000, reason: "bye now" });
    expect(inbox.json()[1]).toEqual({ type: "system", event: "disconnected", message: "bye now" });
  });
});
