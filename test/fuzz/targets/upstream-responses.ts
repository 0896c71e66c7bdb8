import fc from "fast-check";
import WebSocket from "ws";
import type { FuzzOutcome, FuzzTarget, UpstreamReply } from "../support/fuzz-target";
import { anyJson, badUtf8, hostileText, latin1HeaderText, samples } from "../support/hostile";
import { clientToken } from "../support/tokens";

interface Sequence {
  userId: string;
  protocol: "json.webpubsub.azure.v1" | "raw";
  connect: UpstreamReply;
  events: UpstreamReply[];
}

const status = fc.oneof(fc.constantFrom(200, 200, 200, 204, 400, 401, 403, 404, 408, 413, 500, 502, 503), fc.integer({ min: 200, max: 599 }));

const headers: fc.Arbitrary<Record<string, string>> = fc.record(
  {
    "content-type": fc.constantFrom("application/json", "application/json; charset=utf-8", "text/plain", "application/octet-stream", "image/png", "", "json"),
    "ce-connectionState": fc.oneof(
      fc.constant(Buffer.from('{"a":1}').toString("base64")),
      fc.base64String({ maxLength: 40 }),
      latin1HeaderText,
      fc.constant("x".repeat(20_000)),
    ),
  },
  { requiredKeys: [] },
);

const connectBody = fc.oneof(
  fc.record({ userId: anyJson, groups: anyJson, roles: anyJson, subprotocol: anyJson }, { requiredKeys: [] }).map((v) => Buffer.from(JSON.stringify(v))),
  fc.record({ userId: hostileText, groups: fc.array(hostileText, { maxLength: 3 }), roles: fc.array(fc.constantFrom("webpubsub.joinLeaveGroup", "webpubsub.sendToGroup.x", "bad role"), { maxLength: 2 }) }, { requiredKeys: [] }).map((v) => Buffer.from(JSON.stringify(v))),
  anyJson.map((v) => Buffer.from(JSON.stringify(v) ?? "")),
  badUtf8,
  fc.constant(Buffer.alloc(0)),
);

const eventBody = fc.oneof(
  fc.constant(Buffer.alloc(0)),
  anyJson.map((v) => Buffer.from(JSON.stringify(v) ?? "")),
  badUtf8,
  fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
  fc.nat({ max: 10 }).map((n) => Buffer.alloc(1024 * 1024 + 1 + n, 0x62)),
);

const sequence: fc.Arbitrary<Sequence> = fc.record({
  userId: hostileText,
  protocol: fc.constantFrom("json.webpubsub.azure.v1", "raw"),
  connect: fc.record({ status, headers, body: connectBody }),
  events: fc.array(fc.record({ status, headers, body: eventBody }), { minLength: 1, maxLength: 3 }),
});

/** Upgrade with `ws`; resolves the socket, or the HTTP status and body of a refusal. */
function connect(url: string, protocol: Sequence["protocol"]): Promise<{ socket: WebSocket } | { status: number; body: string }> {
  return new Promise((resolve) => {
    const socket = protocol === "raw" ? new WebSocket(url, { perMessageDeflate: false }) : new WebSocket(url, protocol, { perMessageDeflate: false });
    socket.on("error", () => {});
    socket.once("open", () => resolve({ socket }));
    socket.once("unexpected-response", (_req, res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    socket.once("error", (error) => resolve({ status: 0, body: error.message }));
  });
}

const EVENT_FAILED = "The event handler failed.";

export const upstreamResponsesTarget: FuzzTarget = {
  name: "event handler responses",
  inputs: 700,
  async run({ seed, service, upstreamScript }): Promise<FuzzOutcome> {
    const failures: string[] = [];
    let replies = 0;
    for (const item of samples(sequence, seed, this.inputs)) {
      upstreamScript.queue.length = 0;
      upstreamScript.queue.push(item.connect);
      replies += 1;
      const token = clientToken(service.url, "fuzz", { sub: item.userId });
      const result = await connect(`${service.url.replace("http", "ws")}/client/hubs/fuzz?access_token=${token}`, item.protocol);
      const describe = `${JSON.stringify({ ...item, connect: { ...item.connect, body: item.connect.body.toString("latin1").slice(0, 80) }, events: item.events.length })}`.slice(0, 600);
      if (!("socket" in result)) {
        const passedThrough = item.connect.status >= 300 && result.status === item.connect.status;
        const badReply = result.status === 500 && /^The (connect event handler returned|event handler could not be reached)/.test(result.body);
        if (!passedThrough && !badReply) failures.push(`connect answered ${result.status} "${result.body.slice(0, 120)}" for ${describe}`);
        continue;
      }
      const socket = result.socket;
      const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.once("close", (code, reason) => resolve({ code, reason: reason.toString() })));
      const frames: string[] = [];
      socket.on("message", (data) => frames.push(data.toString()));
      for (const [index, reply] of item.events.entries()) {
        if (socket.readyState !== WebSocket.OPEN) break;
        upstreamScript.queue.push(reply);
        replies += 1;
        if (item.protocol === "raw") {
          socket.send(`event ${index}`);
          continue;
        }
        const ackId = index + 1;
        socket.send(JSON.stringify({ type: "event", event: "e", dataType: "text", data: `event ${index}`, ackId }));
        const acked = await Promise.race([
          closed.then(() => false),
          new Promise<boolean>((resolve) => {
            const timer = setTimeout(() => resolve(false), 10_000);
            socket.on("message", (data) => {
              const text = data.toString();
              if (text.includes('"ack"') && text.includes(`"ackId":${ackId}`)) {
                clearTimeout(timer);
                resolve(true);
              }
            });
          }),
        ]);
        if (!acked) failures.push(`no ack ${ackId} after reply ${reply.status} (${reply.body.length} bytes) for ${describe}`);
      }
      if (item.protocol === "raw") {
        // The raw protocol has no acks: a ping round trip at the TCP level is not available, so wait until the replies are used.
        const deadline = Date.now() + 10_000;
        while (upstreamScript.queue.length > 0 && socket.readyState === WebSocket.OPEN && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
        await new Promise((r) => setTimeout(r, 20));
      }
      if (socket.readyState === WebSocket.OPEN) {
        socket.close(1000);
        await closed;
      } else {
        const { code, reason } = await closed;
        if (!(code === 1011 && reason === EVENT_FAILED && item.protocol === "raw")) {
          const replies = item.events.map((e) => ({ status: e.status, headers: Object.fromEntries(Object.entries(e.headers).map(([k, v]) => [k, v.slice(0, 40)])), bytes: e.body.length }));
          failures.push(`socket closed ${code} "${reason}" after replies ${JSON.stringify(replies)} for ${describe}`);
        }
      }
    }
    return { inputs: replies, failures };
  },
};
