import http from "node:http";
import fc from "fast-check";
import { FUZZ_MAX_FRAME_BYTES } from "../support/fuzz-limits";
import type { FuzzOutcome, FuzzTarget } from "../support/fuzz-target";
import { encodeComponent, hostileText, inParallel, samples } from "../support/hostile";
import { signalRTokenOfKind } from "../support/signalr-tokens";

interface HttpTransportInput {
  /** What the request is: a stream, a poll, a send, a stop, or something else at the endpoint. */
  method: "GET" | "POST" | "DELETE" | "PUT" | "OPTIONS";
  eventStream: boolean;
  /** A connection token negotiate handed out (used once or twice), hostile text, or none. */
  id: "negotiated" | "none" | string;
  /** Requests on the same negotiated id right after the first: concurrent polls, a second DELETE, a send. */
  then: Array<"GET" | "DELETE" | "POST">;
  body: Buffer;
  tokenInQuery: boolean;
}

const handshake = Buffer.from('{"protocol":"json","version":1}\u001e');

const input: fc.Arbitrary<HttpTransportInput> = fc.record({
  method: fc.constantFrom("GET", "GET", "POST", "POST", "DELETE", "PUT", "OPTIONS"),
  eventStream: fc.boolean(),
  id: fc.oneof({ weight: 4, arbitrary: fc.constant("negotiated") }, { weight: 1, arbitrary: fc.constant("none") }, { weight: 2, arbitrary: hostileText }),
  then: fc.array(fc.constantFrom("GET", "DELETE", "POST"), { maxLength: 3 }),
  body: fc.oneof(
    fc.constant(handshake),
    fc.constant(Buffer.concat([handshake, Buffer.from('{"type":1,"target":"x","arguments":[1]}\u001e')])),
    fc.constant(Buffer.from('{"protocol":"json"')), // a partial handshake
    fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
    fc.nat({ max: 1000 }).map((n) => Buffer.alloc(FUZZ_MAX_FRAME_BYTES + 1 + n, 0x7b)), // over the cap
  ),
  tokenInQuery: fc.boolean(),
});

/** One request; a streamed or held answer is read for its status and headers only, then cut. */
function request(port: number, method: string, path: string, headers: Record<string, string>, body: Buffer | undefined): Promise<{ status: number; error?: string }> {
  return new Promise((resolve) => {
    // No answer at all within 3 s is a failure of its own (a hung request).
    const deadline = setTimeout(() => {
      req.destroy();
      resolve({ status: -1, error: "no answer within 3 s" });
    }, 3000);
    const done = (result: { status: number; error?: string }) => {
      clearTimeout(deadline);
      resolve(result);
    };
    const req = http.request({ host: "127.0.0.1", port, method, path, headers: { ...headers, ...(body ? { "content-length": String(body.length) } : {}) } }, (res) => {
      const status = res.statusCode ?? 0;
      res.on("data", () => {});
      res.on("error", () => {});
      // Server-Sent Events and held polls do not end by themselves.
      const timer = setTimeout(() => {
        req.destroy();
        done({ status });
      }, 100);
      res.on("end", () => {
        clearTimeout(timer);
        done({ status });
      });
    });
    req.on("error", (error) => done({ status: 0, error: error.message }));
    req.end(body);
  });
}

/** The SignalR face's HTTP transports (Server-Sent Events, Long Polling, their sends and stops) under hostile requests. */
export const signalRHttpTransportsTarget: FuzzTarget = {
  name: "SignalR Server-Sent Events and Long Polling requests",
  inputs: 1000,
  async run({ seed, signalr }): Promise<FuzzOutcome> {
    const failures: string[] = [];
    const resets: string[] = [];
    const port = Number(new URL(signalr.url).port);
    const token = signalRTokenOfKind("valid", signalr.url, "tr", {})!;
    const items = samples(input, seed + 23, this.inputs);
    await inParallel(items, 8, async (item) => {
      let id = item.id === "none" ? undefined : item.id;
      if (item.id === "negotiated") {
        id = await new Promise<string>((resolve) => {
          const req = http.request({ host: "127.0.0.1", port, method: "POST", path: "/client/negotiate?hub=tr&negotiateVersion=1", headers: { authorization: `Bearer ${token}` } }, (res) => {
            let text = "";
            res.on("data", (chunk: Buffer) => (text += chunk.toString()));
            res.on("end", () => {
              try {
                resolve((JSON.parse(text) as { connectionToken: string }).connectionToken);
              } catch {
                resolve("not-negotiated");
              }
            });
          });
          req.on("error", () => resolve("not-negotiated"));
          req.end();
        });
      }
      const query = ["hub=tr", ...(id === undefined ? [] : [`id=${encodeComponent(id)}`]), ...(item.tokenInQuery ? [`access_token=${token}`] : [])];
      const headers = { ...(item.tokenInQuery ? {} : { authorization: `Bearer ${token}` }), ...(item.eventStream ? { accept: "text/event-stream" } : {}) };
      const path = `/client/?${query.join("&")}`;
      const describe = (step: string, status: number | string) => `${step} answered ${status} for ${JSON.stringify({ ...item, body: item.body.length })}`;
      const first = await request(port, item.method, path, headers, item.method === "POST" ? item.body : undefined);
      if (first.status === -1) failures.push(describe(item.method, first.error ?? "nothing"));
      else if (first.status === 0) resets.push(describe(item.method, first.error ?? "nothing"));
      else if (first.status >= 500) failures.push(describe(item.method, first.status));
      // The follow-ups race each other on purpose: concurrent polls, sends and DELETEs.
      const follow = await Promise.all(item.then.map((method) => request(port, method, path, { authorization: `Bearer ${token}` }, method === "POST" ? item.body : undefined)));
      follow.forEach((result, i) => {
        if (result.status >= 500 || result.status === -1) failures.push(describe(`then ${item.then[i]}`, result.status === -1 ? result.error! : result.status));
      });
      if (item.method === "POST" && item.body.length > FUZZ_MAX_FRAME_BYTES && first.status !== 404 && first.status !== 400 && first.status !== 401 && first.status !== 413 && first.status !== 0) {
        failures.push(describe("oversized POST", first.status));
      }
    });
    return { inputs: items.length, failures, resets };
  },
};
