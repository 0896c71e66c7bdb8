import http from "node:http";
import fc from "fast-check";
import { DEFAULT_ACCESS_KEY } from "../../../emulator/src/options";
import { signConnectionId } from "../../../common/cloud-events-signature";
import type { FuzzOutcome, FuzzTarget } from "../support/fuzz-target";
import { anyJson, badUtf8, encodeComponent, hostileText, inParallel, latin1HeaderText, samples } from "../support/hostile";
import { send } from "./rest-api";

export const FUZZ_FUNCTION_KEY = "fuzz-function-key-0123456789";

const routes = [
  "GET negotiate",
  "POST negotiate",
  "POST send",
  "POST broadcast",
  "PUT groups/{group}/users/{userId}",
  "DELETE groups/{group}/users/{userId}",
  "PUT groups/{group}/connections/{connectionId}",
  "DELETE groups/{group}/connections/{connectionId}",
  "DELETE users/{userId}/groups",
  "DELETE connections/{connectionId}/groups",
  "GET connections/{connectionId}",
  "HEAD connections/{connectionId}",
  "DELETE connections/{connectionId}",
  "DELETE connections",
  "GET users/{userId}",
  "DELETE users/{userId}/connections",
  "GET groups/{group}",
  "DELETE groups/{group}/connections",
  "OPTIONS events/{hub}",
  "POST events/{hub}",
  "POST events",
  "GET web/{path}",
] as const;

interface FunctionInput {
  route: string;
  params: Record<string, string>;
  query: Array<[string, string]>;
  body: Buffer;
  contentType: string;
  key: "valid" | "none" | "wrong";
  authorization: string | undefined;
  cloudEvent: { type: string; hub: string; userId: string; eventName: string; signed: boolean; state: string } | undefined;
}

const value = fc.oneof({ weight: 2, arbitrary: fc.constantFrom("chat", "lobby", "room-1", "alice", "c1", "index.html", "../../package.json") }, { weight: 3, arbitrary: hostileText });

const input: fc.Arbitrary<FunctionInput> = fc.record({
  route: fc.constantFrom(...routes),
  params: fc.record({ group: value, userId: value, connectionId: value, hub: value, path: value }),
  query: fc.array(fc.tuple(fc.constantFrom("userId", "group", "hub", "code", "dataType", "x"), hostileText), { maxLength: 3 }),
  body: fc.oneof(
    fc
      .record({ group: anyJson, userId: anyJson, connectionId: anyJson, text: anyJson, message: anyJson, data: anyJson, dataType: anyJson, excluded: anyJson })
      .map((v) => Buffer.from(JSON.stringify(v))),
    anyJson.map((v) => Buffer.from(JSON.stringify(v) ?? "")),
    badUtf8,
    fc.nat({ max: 10 }).map((n) => Buffer.alloc(1024 * 1024 + 1 + n, 0x61)),
  ),
  contentType: fc.constantFrom("application/json", "text/plain", "application/octet-stream", "", "multipart/form-data"),
  key: fc.constantFrom("valid", "valid", "valid", "none", "wrong"),
  authorization: fc.option(fc.oneof(fc.constant("Bearer x.y.z"), latin1HeaderText), { freq: 4 }).map((v) => v ?? undefined),
  cloudEvent: fc.option(
    fc.record({
      type: fc.constantFrom("azure.webpubsub.sys.connect", "azure.webpubsub.sys.connected", "azure.webpubsub.sys.disconnected", "azure.webpubsub.user.message", "azure.webpubsub.user.echo", "azure.webpubsub.gp.joined", "other"),
      hub: fc.oneof(fc.constant("chat"), latin1HeaderText),
      userId: latin1HeaderText,
      eventName: latin1HeaderText,
      signed: fc.boolean(),
      state: fc.oneof(fc.constant(""), fc.base64String({ maxLength: 40 }), latin1HeaderText),
    }),
    { freq: 2 },
  ).map((v) => v ?? undefined),
});

export const functionRoutesTarget: FuzzTarget = {
  name: "function routes (local functions host)",
  inputs: 1500,
  async run({ seed, functionsBase }): Promise<FuzzOutcome> {
    const failures: string[] = [];
    const resets: string[] = [];
    const base = new URL(functionsBase);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 6 });
    const items = samples(input, seed, this.inputs);
    await inParallel(items, 6, async (item) => {
      const [method, route] = item.route.split(" ") as [string, string];
      const path = `${base.pathname}/${route.replace(/\{(\w+)\}/g, (_, name: string) => encodeComponent(item.params[name]!))}`;
      const query = item.query.map(([k, v]) => `${k}=${encodeComponent(v)}`).join("&");
      const target = query ? `${path}?${query}` : path;
      const headers: Record<string, string> = {};
      if (item.contentType) headers["content-type"] = item.contentType;
      if (item.key === "valid") headers["x-functions-key"] = FUZZ_FUNCTION_KEY;
      else if (item.key === "wrong") headers["x-functions-key"] = "wrong";
      if (item.authorization !== undefined) headers.authorization = item.authorization;
      const event = item.cloudEvent;
      if (event) {
        Object.assign(headers, {
          "ce-awpsversion": "1.0",
          "ce-specversion": "1.0",
          "ce-type": event.type,
          "ce-hub": event.hub,
          "ce-connectionId": "fuzz-connection",
          "ce-eventName": event.eventName,
          "ce-userId": event.userId,
          "ce-signature": event.signed ? signConnectionId([DEFAULT_ACCESS_KEY], "fuzz-connection") : "sha256=00",
          "WebHook-Request-Origin": "127.0.0.1",
          ...(event.state ? { "ce-connectionState": event.state } : {}),
        });
      }
      const result = await send(agent, base, method, target, headers, item.body, 1024 * 1024);
      if (result.status === 0) resets.push(`function route reset: ${result.body} to ${method} ${target.slice(0, 200)}`);
      else if (result.status >= 500) {
        failures.push(`function route answered ${result.status} ${result.body.slice(0, 200)} to ${method} ${target.slice(0, 200)} ${JSON.stringify({ ...item, body: item.body.length })}`.slice(0, 1200));
      }
    });
    agent.destroy();
    return { inputs: items.length, failures, resets };
  },
};
