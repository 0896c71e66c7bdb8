import http from "node:http";
import fc from "fast-check";
import type { FuzzOutcome, FuzzTarget } from "../support/fuzz-target";
import { encodeComponent, hostileText, inParallel, latin1HeaderText, samples } from "../support/hostile";
import { signalRTokenKinds, signalRTokenOfKind, type SignalRTokenKind } from "../support/signalr-tokens";
import { send } from "./rest-api";
import { rawUpgrade } from "./ws-handshake";

interface NegotiateInput {
  /** `negotiate` is the HTTP POST; `upgrade` the WebSocket connect that follows it. */
  step: "negotiate" | "upgrade";
  method: string;
  hub: string;
  application: string | undefined;
  negotiateVersion: string;
  token: SignalRTokenKind;
  tokenIn: "header" | "query";
  userId: unknown;
  /** The connection token of the upgrade: one negotiate handed out, or hostile text. */
  id: "negotiated" | "none" | string;
  origin: string;
  body: Buffer;
  afterUpgrade: Buffer;
}

const input: fc.Arbitrary<NegotiateInput> = fc.record({
  step: fc.constantFrom("negotiate", "negotiate", "upgrade"),
  method: fc.constantFrom("POST", "POST", "POST", "GET", "OPTIONS", "PUT", "DELETE"),
  hub: fc.oneof({ weight: 3, arbitrary: fc.constantFrom("neg", "Neg", "neg_1") }, { weight: 2, arbitrary: hostileText }),
  application: fc.option(hostileText, { freq: 4 }).map((a) => a ?? undefined),
  negotiateVersion: fc.oneof(fc.constantFrom("0", "1", "1", "2", "-1", "1e9", "x", ""), hostileText),
  token: fc.constantFrom(...signalRTokenKinds),
  tokenIn: fc.constantFrom("header", "query"),
  userId: fc.oneof(hostileText, fc.constantFrom(5, null, ["a"], { a: 1 })),
  id: fc.oneof({ weight: 3, arbitrary: fc.constantFrom("negotiated", "none") }, { weight: 2, arbitrary: hostileText }),
  origin: latin1HeaderText,
  body: fc.oneof(fc.constant(Buffer.alloc(0)), fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a))),
  afterUpgrade: fc.oneof(
    fc.constant(Buffer.alloc(0)),
    fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
    // A masked text frame announcing more bytes than follow (truncated).
    fc.integer({ min: 1, max: 125 }).map((length) => Buffer.from([0x81, 0x80 | length, 1, 2, 3, 4, 0x7b])),
  ),
});

/** Client negotiate and the client endpoint's WebSocket upgrade of the SignalR face, under hostile hubs, tokens and ids. */
export const signalRNegotiateTarget: FuzzTarget = {
  name: "SignalR negotiate and connect",
  inputs: 1500,
  async run({ seed, signalr }): Promise<FuzzOutcome> {
    const failures: string[] = [];
    const resets: string[] = [];
    const base = new URL(signalr.url);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    const items = samples(input, seed + 11, this.inputs);
    await inParallel(items, 8, async (item) => {
      const hub = encodeComponent(item.hub);
      const token = signalRTokenOfKind(item.token, signalr.url, item.hub, { "asrs.s.uid": item.userId });
      const query = [`hub=${hub}`, ...(item.application === undefined ? [] : [`application=${encodeComponent(item.application)}`])];
      const auth: Record<string, string> = token === undefined || item.tokenIn === "query" ? {} : { authorization: `Bearer ${token}` };
      if (token !== undefined && item.tokenIn === "query") query.push(`access_token=${token}`);
      const describe = (status: number | string): string => `${item.step} answered ${status} for ${JSON.stringify({ ...item, body: item.body.length, afterUpgrade: item.afterUpgrade.toString("hex") })}`;
      if (item.step === "negotiate") {
        const target = `/client/negotiate?${[...query, `negotiateVersion=${encodeComponent(item.negotiateVersion)}`].join("&")}`;
        const result = await send(agent, base, item.method, target, { ...auth, origin: item.origin }, item.body);
        if (result.status === 0) resets.push(describe(`nothing (${result.body})`));
        else if (result.status >= 500) failures.push(describe(result.status));
        // A token for another hub, without exp, expired, unsigned or signed with another key opens nothing.
        else if (result.status === 200 && item.token !== "valid") failures.push(describe(`200 to a ${item.token} token`));
        return;
      }
      let id = item.id === "none" ? undefined : item.id;
      if (item.id === "negotiated") {
        const negotiated = await send(agent, base, "POST", `/client/negotiate?hub=${hub}&negotiateVersion=1`, token === undefined ? {} : { authorization: `Bearer ${token}` }, Buffer.alloc(0));
        id = negotiated.status === 200 ? (JSON.parse(negotiated.body) as { connectionToken?: string }).connectionToken : "not-negotiated";
      }
      if (id !== undefined) query.push(`id=${encodeComponent(id)}`);
      const head = [
        `GET /client/?${query.join("&")} HTTP/1.1`,
        "Host: 127.0.0.1",
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version: 13",
        ...(auth.authorization ? [`Authorization: ${auth.authorization}`] : []),
        `Origin: ${item.origin}`,
      ];
      const status = await rawUpgrade(Number(base.port), Buffer.from(`${head.join("\r\n")}\r\n\r\n`, "latin1"), item.afterUpgrade);
      if (status >= 500 || status === 0) failures.push(describe(status || "nothing"));
      else if (status === 101 && item.token !== "valid") failures.push(describe(`101 to a ${item.token} token`));
    });
    agent.destroy();
    return { inputs: items.length, failures, resets };
  },
};
