import { encode } from "@msgpack/msgpack";
import fc from "fast-check";
import WebSocket from "ws";
import { writeLengthPrefix } from "../../../emulator/src/signalr/messagepack-hub-protocol";
import { FUZZ_MAX_FRAME_BYTES } from "../support/fuzz-limits";
import type { FuzzContext, FuzzOutcome, FuzzTarget } from "../support/fuzz-target";
import { anyJson, badUtf8, hostileText, inParallel, samples } from "../support/hostile";
import { signalRClientToken } from "../support/signalr-tokens";

const RS = "\x1e";
type Protocol = "json" | "messagepack";

interface Frame {
  data: Buffer;
  binary: boolean;
}

/** A hub message with every field possibly of the wrong type or hostile (type 1 invocation, 4 stream, 6 ping, 7 close, …). */
const hubMessage: fc.Arbitrary<Record<string, unknown>> = fc.record(
  {
    type: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(1, 1, 1, 3, 4, 5, 6, 8, 9) }, { weight: 1, arbitrary: fc.constantFrom(0, 7, 99, -1, 1.5, "1", null) }),
    target: fc.oneof({ weight: 3, arbitrary: hostileText }, { weight: 1, arbitrary: anyJson }),
    invocationId: fc.oneof(hostileText, anyJson, fc.nat().map(String)),
    arguments: fc.oneof({ weight: 3, arbitrary: fc.array(anyJson, { maxLength: 3 }) }, { weight: 1, arbitrary: anyJson }),
    headers: fc.oneof(fc.dictionary(hostileText, hostileText, { maxKeys: 2 }), anyJson),
    streamIds: anyJson,
    error: anyJson,
    result: anyJson,
  },
  { requiredKeys: ["type"] },
);

/** Well-formed messages with hostile contents (targets, ids, arguments), so a session lives through several frames. */
const wellFormedMessage: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ type: fc.constant(1), target: hostileText, invocationId: fc.nat().map(String), arguments: fc.array(anyJson, { maxLength: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant(1), target: hostileText, arguments: fc.array(anyJson, { maxLength: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant(4), target: hostileText, invocationId: hostileText, arguments: fc.array(anyJson, { maxLength: 2 }) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant(5), invocationId: hostileText }) },
  { weight: 1, arbitrary: fc.constant({ type: 6 }) },
);

const anyMessage = fc.oneof({ weight: 4, arbitrary: wellFormedMessage }, { weight: 1, arbitrary: hubMessage });

/** The MessagePack array form `[type, headers, …]` of the same message, fields in protocol order or shuffled by type. */
function msgpackArray(m: Record<string, unknown>): unknown[] {
  switch (m.type) {
    case 5:
      return [5, m.headers ?? {}, m.invocationId];
    case 6:
      return [6];
    default:
      return [m.type, m.headers ?? {}, m.invocationId ?? null, m.target, m.arguments, m.streamIds].filter((v) => v !== undefined);
  }
}

function prefixed(body: Uint8Array): Buffer {
  return Buffer.concat([writeLengthPrefix(body.length), body]);
}

const jsonFrame: fc.Arbitrary<Frame> = fc.oneof(
  // Several messages in one frame, each ended by the record separator.
  { weight: 6, arbitrary: fc.array(anyMessage, { minLength: 1, maxLength: 4 }).map((ms) => ({ data: Buffer.from(ms.map((m) => JSON.stringify(m) + RS).join("")), binary: false })) },
  // Missing, doubled or stray separators.
  { weight: 1, arbitrary: hubMessage.map((m) => ({ data: Buffer.from(JSON.stringify(m)), binary: false })) },
  { weight: 1, arbitrary: fc.constantFrom(RS, RS + RS, `{"type":6}${RS}${RS}`, `${RS}{"type":6}${RS}`, `{"type":6}${RS}{"type":`).map((t) => ({ data: Buffer.from(t), binary: false })) },
  // Truncated JSON, not JSON, bad UTF-8, a binary frame on the JSON protocol.
  { weight: 1, arbitrary: hubMessage.map((m) => JSON.stringify(m)).chain((t) => fc.nat({ max: t.length }).map((n) => ({ data: Buffer.from(t.slice(0, n) + RS), binary: false }))) },
  { weight: 1, arbitrary: anyJson.map((v) => ({ data: Buffer.from(`${JSON.stringify(v) ?? "undefined"}${RS}`), binary: false })) },
  { weight: 1, arbitrary: badUtf8.map((b) => ({ data: Buffer.concat([b, Buffer.from(RS)]), binary: false })) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((a) => ({ data: Buffer.from(a), binary: true })) },
  // Over the frame limit.
  { weight: 1, arbitrary: fc.nat({ max: 1000 }).map((n) => ({ data: Buffer.alloc(FUZZ_MAX_FRAME_BYTES + 1 + n, 0x7b), binary: false })) },
);

const msgpackFrame: fc.Arbitrary<Frame> = fc.oneof(
  // Several length-prefixed messages in one frame.
  { weight: 6, arbitrary: fc.array(anyMessage, { minLength: 1, maxLength: 4 }).map((ms) => ({ data: Buffer.concat(ms.map((m) => prefixed(encode(msgpackArray(m))))), binary: true })) },
  // Bad VarInts: longer than 5 bytes, cut, announcing more than follows, or 2^35-1.
  { weight: 1, arbitrary: fc.constantFrom([0xff, 0xff, 0xff, 0xff, 0xff, 0x01], [0x80], [0x85, 0x80], [0x10, 0x93, 0x01], [0xff, 0xff, 0xff, 0xff, 0x7f, 0x00]).map((b) => ({ data: Buffer.from(b), binary: true })) },
  { weight: 1, arbitrary: hubMessage.map((m) => encode(msgpackArray(m))).chain((b) => fc.nat({ max: b.length }).map((n) => ({ data: Buffer.concat([writeLengthPrefix(b.length), b.subarray(0, n)]), binary: true }))) },
  // A valid prefix around bytes that are not MessagePack, or MessagePack that is not an array.
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((a) => ({ data: prefixed(a), binary: true })) },
  { weight: 1, arbitrary: anyJson.map((v) => ({ data: prefixed(encode(v)), binary: true })) },
  // A text frame on the MessagePack protocol, an empty frame, and over the frame limit.
  { weight: 1, arbitrary: hubMessage.map((m) => ({ data: Buffer.from(JSON.stringify(m) + RS), binary: false })) },
  { weight: 1, arbitrary: fc.constant({ data: Buffer.alloc(0), binary: true }) },
  { weight: 1, arbitrary: fc.nat({ max: 1000 }).map((n) => ({ data: Buffer.alloc(FUZZ_MAX_FRAME_BYTES + 1 + n, 0x91), binary: true })) },
);

/** Handshakes: valid, malformed, unsupported, cut (no separator), in pieces, with messages after the separator, oversized. */
const handshake = (protocol: Protocol): fc.Arbitrary<readonly Frame[]> =>
  fc.oneof(
    { weight: 8, arbitrary: fc.constant([{ data: Buffer.from(`{"protocol":"${protocol}","version":1}${RS}`), binary: false }]) },
    { weight: 1, arbitrary: fc.constant([{ data: Buffer.from(`{"protocol":"${protocol}",`), binary: false }, { data: Buffer.from(`"version":1}${RS}`), binary: protocol === "messagepack" }]) },
    {
      weight: 1,
      arbitrary: fc
        .record({ protocol: fc.oneof(fc.constantFrom("json", "messagepack", "blazorpack", ""), anyJson), version: fc.oneof(fc.constantFrom(0, 1, 2, 3, 1.5, "1"), anyJson) }, { requiredKeys: [] })
        .map((h) => [{ data: Buffer.from(JSON.stringify(h) + RS), binary: false }]),
    },
    { weight: 1, arbitrary: fc.oneof(badUtf8, fc.constant(Buffer.from(RS)), anyJson.map((v) => Buffer.from(`${JSON.stringify(v) ?? ""}${RS}`))).map((data) => [{ data, binary: false }]) },
    { weight: 1, arbitrary: fc.constant([{ data: Buffer.alloc(FUZZ_MAX_FRAME_BYTES - 8, 0x20), binary: false }, { data: Buffer.alloc(FUZZ_MAX_FRAME_BYTES - 8, 0x20), binary: false }]) },
  );

type Step = { kind: "handshake"; frames: readonly Frame[] } | { kind: "frame"; frame: Frame };

const steps = (protocol: Protocol): fc.Arbitrary<Step> =>
  fc.oneof(
    { weight: 1, arbitrary: handshake(protocol).map((frames) => ({ kind: "handshake" as const, frames })) },
    { weight: 9, arbitrary: (protocol === "json" ? jsonFrame : msgpackFrame).map((frame) => ({ kind: "frame" as const, frame })) },
  );

/** Close codes a hostile frame may earn: normal (handshake refused, Close message), 1007 protocol error, 1008 limit, 1009 too big. 1011 or 1006 mean the service broke. */
const ALLOWED_CLOSE_CODES = new Set([1000, 1007, 1008, 1009]);
const VALID_HANDSHAKE: Record<Protocol, Frame> = {
  json: { data: Buffer.from(`{"protocol":"json","version":1}${RS}`), binary: false },
  messagepack: { data: Buffer.from(`{"protocol":"messagepack","version":1}${RS}`), binary: false },
};

interface Lane {
  socket: WebSocket;
  closed: Promise<{ code: number; reason: string }>;
  received: Buffer[];
  /** Its close was checked already. */
  checked?: boolean;
}

async function openLane(url: string): Promise<Lane> {
  const socket = new WebSocket(url, { perMessageDeflate: false });
  socket.on("error", () => {});
  const received: Buffer[] = [];
  socket.on("message", (data) => received.push(data as Buffer));
  const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.once("close", (code, reason) => resolve({ code, reason: reason.toString() })));
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
  });
  return { socket, closed, received };
}

function sendFrame(socket: WebSocket, frame: Frame): Promise<void> {
  return new Promise<void>((resolve) => socket.send(frame.data, { binary: frame.binary }, () => resolve()));
}

/**
 * A message the service answers with a Completion carrying `id`: a stream invocation (refused at
 * once, no upstream) or an invocation (a void Completion once the upstream answered).
 */
function probe(protocol: Protocol, id: string, type: 1 | 4): Frame {
  const message = { type, invocationId: id, target: "probe", arguments: [] };
  return protocol === "json" ? { data: Buffer.from(JSON.stringify(message) + RS), binary: false } : { data: prefixed(encode([type, {}, id, "probe", []])), binary: true };
}

/**
 * Sends a probe and waits for its Completion (true), the socket's close (false), or `timeoutMs`
 * (false). Frames of one socket are handled in order, so an answer means every frame before it was.
 */
async function answered(lane: Lane, protocol: Protocol, id: string, type: 1 | 4, timeoutMs: number): Promise<boolean> {
  const from = lane.received.length;
  await sendFrame(lane.socket, probe(protocol, id, type));
  return Promise.race([
    lane.closed.then(() => false),
    new Promise<boolean>((resolve) => {
      const check = (): void => {
        if (lane.received.slice(from).some((frame) => frame.includes(id))) {
          lane.socket.off("message", check);
          clearTimeout(timer);
          resolve(true);
        }
      };
      const timer = setTimeout(() => (lane.socket.off("message", check), resolve(false)), timeoutMs);
      lane.socket.on("message", check);
      check();
    }),
  ]);
}

async function runLane(context: FuzzContext, protocol: Protocol, items: Step[], laneIndex: number, failures: string[]): Promise<void> {
  const url = `${context.signalr.url.replace("http", "ws")}/client/?hub=frames&access_token=${signalRClientToken(context.signalr.url, "frames", { "asrs.s.uid": `lane-${laneIndex}-用户` })}`;
  let lane: Lane | undefined;
  let last: Step | undefined;
  let probes = 0;
  const checkClose = async (current: Lane): Promise<void> => {
    if (current.checked) return;
    current.checked = true;
    const { code, reason } = await current.closed;
    if (!ALLOWED_CLOSE_CODES.has(code)) failures.push(`${protocol} socket closed ${code} "${reason}" after ${JSON.stringify(last)?.slice(0, 300)}`);
  };
  for (const step of items) {
    last = step;
    if (step.kind === "handshake") {
      // A fresh socket for each handshake; one that never completes is cut by the client after a moment.
      if (lane && lane.socket.readyState === WebSocket.OPEN) lane.socket.close(1000);
      else if (lane) await checkClose(lane);
      lane = await openLane(url);
      for (const frame of step.frames) if (lane.socket.readyState === WebSocket.OPEN) await sendFrame(lane.socket, frame);
      const settled = await Promise.race([
        lane.closed.then(() => true),
        new Promise<boolean>((resolve) => {
          const poll = setInterval(() => lane!.received.length > 0 && (clearInterval(poll), resolve(true)), 5);
          setTimeout(() => (clearInterval(poll), resolve(false)), 200);
        }),
      ]);
      if (!settled && lane.socket.readyState === WebSocket.OPEN) lane.socket.close(1000);
      continue;
    }
    if (!lane || lane.socket.readyState !== WebSocket.OPEN) {
      if (lane) await checkClose(lane);
      lane = await openLane(url);
      await sendFrame(lane.socket, VALID_HANDSHAKE[protocol]);
    }
    await sendFrame(lane.socket, step.frame);
    // Paced by a round trip, so each frame meets a live session rather than one already closing.
    const id = `p-${laneIndex}-${++probes}`;
    if (await answered(lane, protocol, id, 4, 10_000)) continue;
    if (lane.socket.readyState === WebSocket.OPEN) failures.push(`${protocol} socket answered nothing after ${JSON.stringify(step).slice(0, 300)}`);
    else await checkClose(lane);
  }
  if (!lane) return;
  // The upstream still answers an invocation after everything the lane sent.
  if (lane.socket.readyState === WebSocket.OPEN && !(await answered(lane, protocol, `p-${laneIndex}-end`, 1, 15_000)) && lane.socket.readyState === WebSocket.OPEN) {
    failures.push(`${protocol} socket answered no invocation after its frames (last ${JSON.stringify(last)?.slice(0, 300)})`);
  }
  if (lane.socket.readyState === WebSocket.OPEN) lane.socket.close(1000);
  else await checkClose(lane);
}

/** The SignalR client endpoint after the upgrade: handshakes and hub frames of both protocols. */
export const signalRFramesTarget: FuzzTarget = {
  name: "SignalR handshakes and hub frames (json, messagepack)",
  inputs: 2000,
  async run(context): Promise<FuzzOutcome> {
    const failures: string[] = [];
    const lanes = 8;
    const perProtocol = Math.ceil(this.inputs / 2);
    const byProtocol: Record<Protocol, Step[]> = {
      json: samples(steps("json"), context.seed + 21, perProtocol),
      messagepack: samples(steps("messagepack"), context.seed + 22, perProtocol),
    };
    await inParallel(
      Array.from({ length: lanes }, (_, lane) => lane),
      lanes,
      (lane) => {
        const protocol: Protocol = lane % 2 === 0 ? "json" : "messagepack";
        const share = lanes / 2;
        const mine = byProtocol[protocol].filter((_, i) => i % share === Math.floor(lane / 2));
        return runLane(context, protocol, mine, lane, failures);
      },
    );
    return { inputs: byProtocol.json.length + byProtocol.messagepack.length, failures };
  },
};
