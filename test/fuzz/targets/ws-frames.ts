import fc from "fast-check";
import WebSocket from "ws";
import { FUZZ_MAX_FRAME_BYTES } from "../support/fuzz-limits";
import type { FuzzContext, FuzzOutcome, FuzzTarget } from "../support/fuzz-target";
import { anyJson, badUtf8, hostileText, inParallel, samples } from "../support/hostile";
import { clientToken } from "../support/tokens";

interface Frame {
  data: Buffer;
  binary: boolean;
}

const messageTypes = [
  "joinGroup",
  "leaveGroup",
  "sendToGroup",
  "event",
  "sequenceAck",
  "ping",
  "invoke",
  "cancelInvocation",
  "streamData",
  "streamEnd",
  "setGroupState",
  "subscribeGroupState",
  "unsubscribeGroupState",
] as const;

/** Stream ids that collide often, so fragments, ends and repeated starts meet open streams. */
const streamId = fc.oneof({ weight: 4, arbitrary: fc.constantFrom("s1", "s2", "") }, { weight: 1, arbitrary: hostileText }, { weight: 1, arbitrary: anyJson });

/** A JSON protocol message with every field possibly of the wrong type or hostile. */
const jsonMessage: fc.Arbitrary<Record<string, unknown>> = fc.record(
  {
    type: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...messageTypes) }, { weight: 1, arbitrary: anyJson }),
    group: fc.oneof({ weight: 3, arbitrary: hostileText }, { weight: 1, arbitrary: anyJson }),
    event: fc.oneof({ weight: 3, arbitrary: hostileText }, { weight: 1, arbitrary: anyJson }),
    ackId: fc.oneof(fc.nat(), fc.constantFrom(-1, 1.5, 2 ** 64, "1", null), anyJson),
    sequenceId: fc.oneof(fc.nat(), fc.constantFrom(-1, 0.5, "2", 2 ** 60)),
    dataType: fc.constantFrom("json", "text", "binary", "protobuf", "", 1, null),
    data: fc.oneof(anyJson, fc.base64String({ maxLength: 40 }), fc.constant("not base64 !")),
    noEcho: anyJson,
    invocationId: fc.oneof({ weight: 3, arbitrary: fc.constantFrom("1", "2", "1") }, { weight: 1, arbitrary: hostileText }, { weight: 1, arbitrary: anyJson }),
    target: fc.constantFrom("event", "group", 1, undefined),
    streamId,
    streamSequenceId: fc.oneof(fc.integer({ min: -1, max: 4 }), fc.constantFrom(0.5, "1", 2 ** 60, null)),
    stream: fc.oneof(
      { weight: 3, arbitrary: fc.record({ streamId, idleTimeoutMs: fc.oneof(fc.constantFrom(1, 50, 0, -5, 1.5, 2 ** 40, "9"), anyJson) }, { requiredKeys: ["streamId"] }) },
      { weight: 1, arbitrary: anyJson },
    ),
    error: fc.oneof(fc.record({ message: fc.oneof(hostileText, anyJson), userErrorCode: fc.oneof(hostileText, anyJson) }), anyJson),
    state: fc.oneof(fc.dictionary(hostileText, fc.oneof({ weight: 4, arbitrary: hostileText }, { weight: 1, arbitrary: anyJson }), { maxKeys: 80 }), anyJson),
  },
  { requiredKeys: ["type"] },
);

const frame: fc.Arbitrary<Frame> = fc.oneof(
  { weight: 6, arbitrary: jsonMessage.map((m) => ({ data: Buffer.from(JSON.stringify(m)), binary: false })) },
  { weight: 1, arbitrary: anyJson.map((v) => ({ data: Buffer.from(JSON.stringify(v) ?? "undefined"), binary: false })) },
  { weight: 1, arbitrary: jsonMessage.map((m) => JSON.stringify(m)).chain((t) => fc.nat({ max: t.length }).map((n) => ({ data: Buffer.from(t.slice(0, n)), binary: false }))) },
  { weight: 1, arbitrary: badUtf8.map((data) => ({ data, binary: false })) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 256 }).map((a) => ({ data: Buffer.from(a), binary: true })) },
  { weight: 1, arbitrary: fc.nat({ max: 1000 }).map((n) => ({ data: Buffer.alloc(FUZZ_MAX_FRAME_BYTES + 1 + n, 0x7b), binary: n % 2 === 0 })) },
);

const protocols = ["json.webpubsub.azure.v1", "json.reliable.webpubsub.azure.v1", undefined] as const;

/** Close codes a hostile frame may earn; anything else (1006, 1011) means the service broke. */
const ALLOWED_CLOSE_CODES = new Set([1002, 1003, 1007, 1008, 1009]);

async function openSocket(url: string, protocol: string | undefined): Promise<WebSocket> {
  const socket = protocol ? new WebSocket(url, protocol, { perMessageDeflate: false }) : new WebSocket(url, { perMessageDeflate: false });
  socket.on("error", () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
  });
  return socket;
}

/** Sends one lane of frames on one socket (reopened after each close) and checks how it ended. */
async function runLane(context: FuzzContext, protocol: string | undefined, frames: Frame[], lane: number, failures: string[]): Promise<void> {
  const url = `${context.service.url.replace("http", "ws")}/client/hubs/frames?access_token=${clientToken(context.service.url, "frames", {
    sub: `lane-${lane}-用户`,
    role: ["webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"],
  })}`;
  let socket = await openSocket(url, protocol);
  let closed: Promise<{ code: number; reason: string }> = new Promise((resolve) => socket.once("close", (code, reason) => resolve({ code, reason: reason.toString() })));
  let lastFrame: Frame | undefined;
  const checkClose = async (): Promise<void> => {
    const { code, reason } = await closed;
    if (!ALLOWED_CLOSE_CODES.has(code)) failures.push(`${protocol ?? "raw"} socket closed ${code} "${reason}" after ${JSON.stringify(lastFrame?.data.subarray(0, 200).toString("latin1"))}`);
  };
  for (const item of frames) {
    if (socket.readyState !== WebSocket.OPEN) {
      await checkClose();
      socket = await openSocket(url, protocol);
      closed = new Promise((resolve) => socket.once("close", (code, reason) => resolve({ code, reason: reason.toString() })));
    }
    lastFrame = item;
    await new Promise<void>((resolve) => socket.send(item.data, { binary: item.binary }, () => resolve()));
  }
  // Every frame was handled once a ping is answered (frames run in order); raw sockets have no ping.
  if (socket.readyState === WebSocket.OPEN && protocol !== undefined) {
    const pong = new Promise<boolean>((resolve) => {
      socket.on("message", (data) => {
        if (data.toString().includes('"pong"')) resolve(true);
      });
      socket.once("close", () => resolve(false));
      setTimeout(() => resolve(false), 15_000);
    });
    socket.send(JSON.stringify({ type: "ping" }));
    if (!(await pong) && socket.readyState === WebSocket.OPEN) failures.push(`${protocol} socket answered no ping after its frames`);
  }
  if (socket.readyState === WebSocket.OPEN) socket.close(1000);
  else await checkClose();
}

export const wsFramesTarget: FuzzTarget = {
  name: "Web PubSub client frames (json, reliable, raw)",
  inputs: 4000,
  async run(context): Promise<FuzzOutcome> {
    const failures: string[] = [];
    const items = samples(frame, context.seed, this.inputs);
    const lanes = 6;
    await inParallel(
      Array.from({ length: lanes }, (_, lane) => lane),
      lanes,
      (lane) => runLane(context, protocols[lane % protocols.length], items.filter((_, i) => i % lanes === lane), lane, failures),
    );
    return { inputs: items.length, failures };
  },
};
