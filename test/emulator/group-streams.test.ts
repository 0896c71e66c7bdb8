/**
 * Group streams: `openGroupStream` and `onGroupStream` of `@azure/web-pubsub-client` 1.1.0
 * against the local service, and the exact frames a raw socket sees.
 */
import { WebPubSubClient, WebPubSubJsonProtocol, WebPubSubJsonReliableProtocol, type GroupStream, type WebPubSubClientProtocol } from "@azure/web-pubsub-client";
import { afterEach, describe, expect, it } from "vitest";
import type { ServiceServer } from "../../emulator/src/server";
import { EmulatorFixture } from "./support/emulator-fixture";
import { TcpSwitch } from "../support/tcp-switch";
import { until } from "../support/until";

const RELIABLE = "json.reliable.webpubsub.azure.v1";
const JSON_PROTOCOL = "json.webpubsub.azure.v1";
const SEND_AND_JOIN = ["webpubsub.sendToGroup", "webpubsub.joinLeaveGroup"];
const fixture = new EmulatorFixture();
afterEach(() => fixture.cleanup());

async function officialClient(server: ServiceServer, userId: string, options: { roles?: string[]; protocol?: WebPubSubClientProtocol; url?: (url: string) => string } = {}): Promise<WebPubSubClient> {
  const url = await fixture.clientUrl(server, "hub1", { userId, roles: options.roles ?? SEND_AND_JOIN });
  const client = new WebPubSubClient((options.url ?? ((u) => u))(url), { protocol: options.protocol ?? WebPubSubJsonReliableProtocol() });
  fixture.onCleanup(() => client.stop());
  await client.start();
  return client;
}

interface Received {
  streamId: string;
  fragments: unknown[];
  outcome?: { ok: true } | { ok: false; error: { name?: string; message?: string; userErrorCode?: string } };
}

/** Collects every stream a client receives, fragment by fragment, and how each ended. */
function collectStreams(client: WebPubSubClient): Map<string, Received> {
  const streams = new Map<string, Received>();
  client.onGroupStream(async (stream: GroupStream) => {
    const received: Received = { streamId: stream.streamId, fragments: [] };
    streams.set(stream.streamId, received);
    try {
      for await (const fragment of stream) received.fragments.push(fragment.data);
      received.outcome = { ok: true };
    } catch (error) {
      received.outcome = { ok: false, error: error as { name?: string; message?: string; userErrorCode?: string } };
    }
  });
  return streams;
}

/** A reader in group `room`, with every stream it receives collected. */
async function readerInRoom(server: ServiceServer, options: { protocol?: WebPubSubClientProtocol } = {}): Promise<Map<string, Received>> {
  const receiver = await officialClient(server, "reader", options);
  await receiver.joinGroup("room");
  return collectStreams(receiver);
}

async function ended(streams: Map<string, Received>, streamId: string): Promise<Received> {
  return until(() => (streams.get(streamId)?.outcome ? streams.get(streamId) : undefined), 8000);
}

describe("group streams with the official client", () => {
  it.each([
    ["reliable", () => WebPubSubJsonReliableProtocol()],
    ["json", () => WebPubSubJsonProtocol()],
  ])("delivers fragments in order, once, then the end (%s)", async (_name, protocol) => {
    const server = await fixture.start();
    const streams = await readerInRoom(server, { protocol: protocol() });
    const publisher = await officialClient(server, "writer", { protocol: protocol() });
    const writer = await publisher.openGroupStream("room", { streamId: "answer-1" });
    const tokens = ["Hel", "lo", ", ", "wor", "ld"];
    for (const token of tokens) await writer.write(token, "text");
    await writer.write({ done: true }, "json");
    await writer.end();
    const got = await ended(streams, "answer-1");
    expect(got.fragments).toEqual([...tokens, { done: true }]);
    expect(got.outcome).toEqual({ ok: true });
  });

  it("carries the publisher's error to receivers as UserError with its code", async () => {
    const server = await fixture.start();
    const streams = await readerInRoom(server);
    const publisher = await officialClient(server, "writer");
    const writer = await publisher.openGroupStream("room", { streamId: "fails" });
    await writer.write("partial", "text");
    await writer.abort({ message: "publisher failed", userErrorCode: "APP_42" });
    const got = await ended(streams, "fails");
    expect(got.fragments).toEqual(["partial"]);
    expect(got.outcome).toMatchObject({ ok: false, error: { name: "UserError", message: "publisher failed", userErrorCode: "APP_42" } });
  });

  it("refuses a start without the send role with Forbidden, and never hangs", async () => {
    const server = await fixture.start();
    const publisher = await officialClient(server, "writer", { roles: ["webpubsub.joinLeaveGroup"] });
    await expect(publisher.openGroupStream("room")).rejects.toMatchObject({ name: "Forbidden" });
  });

  it("honours noEcho: a publisher in the group sees its own stream only without it", async () => {
    const server = await fixture.start();
    const publisher = await officialClient(server, "writer");
    await publisher.joinGroup("room");
    const own = collectStreams(publisher);
    const quiet = await publisher.openGroupStream("room", { streamId: "quiet", noEcho: true });
    await quiet.write("a", "text");
    await quiet.end();
    const loud = await publisher.openGroupStream("room", { streamId: "loud" });
    await loud.write("b", "text");
    await loud.end();
    expect((await ended(own, "loud")).fragments).toEqual(["b"]);
    expect(own.has("quiet")).toBe(false);
  });

  it("ends an idle stream with IdleTimeout on both sides", async () => {
    const server = await fixture.start();
    const streams = await readerInRoom(server);
    const publisher = await officialClient(server, "writer");
    const writer = await publisher.openGroupStream("room", { streamId: "idle", idleTimeoutInMs: 300 });
    const errors: Array<{ name: string }> = [];
    writer.onError((e) => errors.push(e as { name: string }));
    await writer.write("only", "text");
    const got = await ended(streams, "idle");
    expect(got.fragments).toEqual(["only"]);
    expect(got.outcome).toMatchObject({ ok: false, error: { name: "IdleTimeout" } });
    await until(() => (errors.length > 0 ? true : undefined));
    expect(errors.map((e) => e.name)).toEqual(["IdleTimeout"]);
  });

  it("keeps a stream across a reliable publisher's cut line: the replay is accepted and receivers see every fragment once", async () => {
    const server = await fixture.start();
    const streams = await readerInRoom(server);
    const cutter = new TcpSwitch(server.port);
    fixture.onCleanup(() => cutter.close());
    await cutter.listen();
    const publisher = await officialClient(server, "writer", { url: (u) => u.replace(`:${server.port}/`, `:${cutter.port}/`) });
    const writer = await publisher.openGroupStream("room", { streamId: "survives" });
    await writer.write("one", "text");
    await writer.write("two", "text");
    cutter.cutAll();
    // Written while the line is down: the client holds them and replays after the recovered `connected`.
    const three = writer.write("three", "text");
    await three;
    await writer.end();
    const got = await ended(streams, "survives");
    expect(got.fragments).toEqual(["one", "two", "three"]);
    expect(got.outcome).toEqual({ ok: true });
    expect(cutter.accepted).toBe(2);
  });

  it("cancels a stream whose publisher is gone for good", async () => {
    const server = await fixture.start();
    const streams = await readerInRoom(server);
    const publisher = await officialClient(server, "writer", { protocol: WebPubSubJsonProtocol() });
    const writer = await publisher.openGroupStream("room", { streamId: "orphan" });
    await writer.write("half", "text");
    await until(() => (streams.get("orphan")?.fragments.length === 1 ? true : undefined));
    publisher.stop();
    const got = await ended(streams, "orphan");
    expect(got.fragments).toEqual(["half"]);
    expect(got.outcome).toMatchObject({ ok: false, error: { name: "Cancelled" } });
  });
});

describe("group stream frames on a raw socket", () => {
  async function socketPair(server: ServiceServer, subprotocol = RELIABLE) {
    const receiver = await fixture.openSocket(await fixture.clientUrl(server, "hub1", { userId: "reader", groups: ["g"] }), subprotocol);
    const publisher = await fixture.openSocket(await fixture.clientUrl(server, "hub1", { userId: "writer", roles: SEND_AND_JOIN }), subprotocol);
    await receiver.inbox.frameCount(1);
    await publisher.inbox.frameCount(1);
    const send = (frame: unknown): void => publisher.socket.send(JSON.stringify(frame));
    const sent = (): Array<Record<string, unknown>> => publisher.inbox.json().slice(1);
    const got = (): Array<Record<string, unknown>> => receiver.inbox.json().slice(1);
    return { receiver, publisher, send, sent, got };
  }

  it("acks the start with 1, acks each fragment, re-acks a duplicate, nacks a gap, and numbers the end after the last fragment", async () => {
    const server = await fixture.start();
    const { send, sent, got } = await socketPair(server);
    send({ type: "sendToGroup", group: "g", noEcho: false, stream: { streamId: "s" } });
    send({ type: "streamData", streamId: "s", streamSequenceId: 1, dataType: "text", data: "a" });
    send({ type: "streamData", streamId: "s", streamSequenceId: 1, dataType: "text", data: "a" });
    send({ type: "streamData", streamId: "s", streamSequenceId: 3, dataType: "text", data: "c" });
    send({ type: "streamData", streamId: "s" });
    send({ type: "streamData", streamId: "s", streamSequenceId: 2, dataType: "json", data: { b: 2 } });
    send({ type: "streamEnd", streamId: "s" });
    await until(() => (sent().length === 6 ? true : undefined));
    expect(sent()).toEqual([
      { type: "streamAck", streamId: "s", expectedSequenceId: 1 },
      { type: "streamAck", streamId: "s", expectedSequenceId: 2 },
      { type: "streamAck", streamId: "s", expectedSequenceId: 2 },
      { type: "streamNack", streamId: "s", expectedSequenceId: 2, name: "InvalidSequenceId", message: "Expected streamSequenceId 2, got 3." },
      { type: "streamAck", streamId: "s", expectedSequenceId: 3 },
      { type: "streamClosed", streamId: "s" },
    ]);
    await until(() => (got().length === 3 ? true : undefined));
    // Only `message` frames carry sequenceId; the stream's own numbering sits in `stream`.
    expect(got()).toEqual([
      { type: "message", from: "group", group: "g", fromUserId: "writer", dataType: "text", data: "a", stream: { streamId: "s", streamSequenceId: 1 }, sequenceId: 1 },
      { type: "message", from: "group", group: "g", fromUserId: "writer", dataType: "json", data: { b: 2 }, stream: { streamId: "s", streamSequenceId: 2 }, sequenceId: 2 },
      { type: "message", from: "group", group: "g", fromUserId: "writer", dataType: "text", data: "", stream: { streamId: "s", streamSequenceId: 3, endOfStream: true }, sequenceId: 3 },
    ]);
  });

  it("answers frames for unknown streams with StreamNotFound and refuses bad starts with BadRequest, never a nack", async () => {
    const server = await fixture.start({ maxStreamsPerConnection: 1, maxStreamIdLength: 8, maxStreamIdleTimeoutMs: 1000 });
    const { send, sent, got, publisher } = await socketPair(server, JSON_PROTOCOL);
    send({ type: "streamData", streamId: "ghost", streamSequenceId: 1, dataType: "text", data: "x" });
    send({ type: "streamData", streamId: "ghost" });
    send({ type: "streamEnd", streamId: "ghost" });
    send({ type: "sendToGroup", group: "g", stream: { streamId: "toolongid" } });
    send({ type: "sendToGroup", group: "g", stream: { streamId: "slow", idleTimeoutMs: 5000 } });
    send({ type: "sendToGroup", group: "g", stream: { streamId: "zero", idleTimeoutMs: 0 } });
    send({ type: "sendToGroup", group: "g", dataType: "text", data: "x", stream: { streamId: "both" } });
    send({ type: "sendToGroup", group: "g", stream: { streamId: "" } });
    send({ type: "sendToGroup", group: "g", stream: { streamId: "one" } });
    send({ type: "sendToGroup", group: "g", stream: { streamId: "one" } });
    send({ type: "sendToGroup", group: "g", stream: { streamId: "two" } });
    await until(() => (sent().length === 11 ? true : undefined));
    const summary = sent().map((f) => [f.type, f.streamId, (f.error as { name?: string } | undefined)?.name ?? f.expectedSequenceId]);
    expect(summary).toEqual([
      ["streamClosed", "ghost", "StreamNotFound"],
      ["streamClosed", "ghost", "StreamNotFound"],
      ["streamClosed", "ghost", "StreamNotFound"],
      ["streamClosed", "toolongid", "BadRequest"],
      ["streamClosed", "slow", "BadRequest"],
      ["streamClosed", "zero", "BadRequest"],
      ["streamClosed", "both", "BadRequest"],
      ["streamClosed", "", "BadRequest"],
      ["streamAck", "one", 1],
      ["streamClosed", "one", "BadRequest"],
      ["streamClosed", "two", "BadRequest"],
    ]);
    // The refused repeat of an open id leaves that stream open: its fragment is still delivered.
    send({ type: "streamData", streamId: "one", streamSequenceId: 1, dataType: "text", data: "still open" });
    await until(() => (got().length === 1 ? true : undefined));
    expect(got()[0]).toMatchObject({ data: "still open", stream: { streamId: "one", streamSequenceId: 1 } });
    expect(publisher.inbox.closed).toBeUndefined();
  });

  it("answers a fragment for another connection's stream with StreamNotFound, and leaves that stream alone", async () => {
    const server = await fixture.start();
    const { send, sent, got } = await socketPair(server, JSON_PROTOCOL);
    const intruder = await fixture.openSocket(await fixture.clientUrl(server, "hub1", { userId: "intruder", roles: SEND_AND_JOIN }), JSON_PROTOCOL);
    await intruder.inbox.frameCount(1);
    send({ type: "sendToGroup", group: "g", stream: { streamId: "mine" } });
    await until(() => (sent().length === 1 ? true : undefined));
    intruder.socket.send(JSON.stringify({ type: "streamData", streamId: "mine", streamSequenceId: 1, dataType: "text", data: "forged" }));
    intruder.socket.send(JSON.stringify({ type: "streamEnd", streamId: "mine" }));
    await intruder.inbox.frameCount(3);
    expect(intruder.inbox.json().slice(1).map((f) => [f.type, (f.error as { name: string }).name])).toEqual([
      ["streamClosed", "StreamNotFound"],
      ["streamClosed", "StreamNotFound"],
    ]);
    send({ type: "streamData", streamId: "mine", streamSequenceId: 1, dataType: "text", data: "genuine" });
    send({ type: "streamEnd", streamId: "mine" });
    await until(() => (got().length === 2 ? true : undefined));
    expect(got().map((f) => f.data)).toEqual(["genuine", ""]);
  });

  it("ends an open stream with BadRequest on a malformed fragment, and keeps the connection", async () => {
    const server = await fixture.start();
    const { send, sent, got, publisher } = await socketPair(server, JSON_PROTOCOL);
    send({ type: "sendToGroup", group: "g", stream: { streamId: "s" } });
    send({ type: "streamData", streamId: "s", streamSequenceId: 1, dataType: "text", data: 42 });
    await until(() => (sent().length === 2 && got().length === 1 ? true : undefined));
    expect(sent()[1]).toEqual({ type: "streamClosed", streamId: "s", error: { name: "BadRequest", message: "data must be a string for dataType text" } });
    expect(got()[0]).toEqual({
      type: "message",
      from: "group",
      group: "g",
      fromUserId: "writer",
      dataType: "text",
      data: "",
      stream: { streamId: "s", streamSequenceId: 1, endOfStream: true, error: { name: "BadRequest", message: "data must be a string for dataType text" } },
    });
    // A stream frame whose id is no string cannot be answered: the connection is closed with 1007.
    send({ type: "streamData", streamId: 7 });
    expect((await publisher.inbox.closeEvent()).code).toBe(1007);
  });

  it("handles a burst of a thousand fragments in one write without filling the frame queue", async () => {
    const server = await fixture.start({ maxPendingInboundFrames: 4 });
    const { publisher, got, sent } = await socketPair(server, JSON_PROTOCOL);
    const frames = [JSON.stringify({ type: "sendToGroup", group: "g", stream: { streamId: "burst" } })];
    for (let i = 1; i <= 1000; i++) frames.push(JSON.stringify({ type: "streamData", streamId: "burst", streamSequenceId: i, dataType: "text", data: String(i) }));
    for (const frame of frames) publisher.socket.send(frame);
    await until(() => (got().length === 1000 && sent().length === 1001 ? true : undefined), 10_000);
    expect(got().map((f) => f.data)).toEqual(Array.from({ length: 1000 }, (_, i) => String(i + 1)));
    expect(sent().at(-1)).toEqual({ type: "streamAck", streamId: "burst", expectedSequenceId: 1001 });
    expect(publisher.inbox.closed).toBeUndefined();
  });
});
