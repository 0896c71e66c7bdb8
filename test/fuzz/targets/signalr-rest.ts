import http from "node:http";
import fc from "fast-check";
import { FUZZ_MAX_BODY_BYTES } from "../support/fuzz-limits";
import type { FuzzOutcome, FuzzTarget } from "../support/fuzz-target";
import { anyJson, badUtf8, encodeComponent, hostileText, inParallel, samples } from "../support/hostile";
import { signalRRestToken } from "../support/signalr-tokens";
import { send } from "./rest-api";

const templates = [
  "POST {prefix}/{hub}",
  "POST {prefix}/{hub}/:send",
  "POST {prefix}/{hub}/:closeConnections",
  "POST {prefix}/{hub}/users/{user}",
  "POST {prefix}/{hub}/users/{user}/:send",
  "HEAD {prefix}/{hub}/users/{user}",
  "POST {prefix}/{hub}/users/{user}/:closeConnections",
  "DELETE {prefix}/{hub}/users/{user}/groups",
  "PUT {prefix}/{hub}/users/{user}/groups/{group}",
  "DELETE {prefix}/{hub}/users/{user}/groups/{group}",
  "GET {prefix}/{hub}/users/{user}/groups/{group}",
  "POST {prefix}/{hub}/groups/{group}/:send",
  "HEAD {prefix}/{hub}/groups/{group}",
  "POST {prefix}/{hub}/groups/{group}/:closeConnections",
  "PUT {prefix}/{hub}/groups/{group}/users/{user}",
  "PUT {prefix}/{hub}/groups/{group}/connections/{connection}",
  "DELETE {prefix}/{hub}/groups/{group}/connections/{connection}",
  "POST {prefix}/{hub}/connections/{connection}/:send",
  "HEAD {prefix}/{hub}/connections/{connection}",
  "DELETE {prefix}/{hub}/connections/{connection}",
  "DELETE {prefix}/{hub}/connections/{connection}/groups",
] as const;

interface RestInput {
  template: string;
  prefix: string;
  otherMethod: string | undefined;
  params: Record<string, string>;
  query: Array<[string, string]>;
  body: Buffer;
  contentType: string;
  auth: "valid" | "none" | "garbage" | "otherPath" | "wrongKey";
}

const paramValue = fc.oneof({ weight: 2, arbitrary: fc.constantFrom("rest", "u1", "g1", "c1") }, { weight: 3, arbitrary: hostileText });

/** A send body `{ target, arguments }` with hostile or wrong-typed fields. */
const sendBody = fc
  .record({ target: fc.oneof(hostileText, anyJson), arguments: fc.oneof(fc.array(anyJson, { maxLength: 3 }), anyJson), excluded: anyJson }, { requiredKeys: [] })
  .map((v) => Buffer.from(JSON.stringify(v)));

const input: fc.Arbitrary<RestInput> = fc.record({
  template: fc.constantFrom(...templates),
  prefix: fc.constantFrom("/api/hubs", "/api/v1/hubs"),
  otherMethod: fc.option(fc.constantFrom("GET", "PATCH", "OPTIONS", "POST", "PUT"), { freq: 8 }).map((m) => m ?? undefined),
  params: fc.record({ hub: paramValue, user: paramValue, group: paramValue, connection: paramValue }),
  query: fc.array(fc.tuple(fc.constantFrom("api-version", "ttl", "excluded", "x"), fc.oneof(fc.constantFrom("2022-06-01", "0", "-1"), hostileText)), { maxLength: 3 }),
  body: fc.oneof(
    { weight: 4, arbitrary: sendBody },
    { weight: 1, arbitrary: anyJson.map((v) => Buffer.from(JSON.stringify(v) ?? "")) },
    { weight: 1, arbitrary: sendBody.chain((b) => fc.nat({ max: b.length }).map((n) => b.subarray(0, n))) },
    { weight: 1, arbitrary: badUtf8 },
    { weight: 1, arbitrary: fc.nat({ max: 100 }).map((n) => Buffer.alloc(FUZZ_MAX_BODY_BYTES + 1 + n, 0x61)) },
  ),
  contentType: fc.constantFrom("application/json; charset=utf-8", "application/json", "text/plain", "", "application/json;;;"),
  auth: fc.constantFrom("valid", "valid", "valid", "valid", "none", "garbage", "otherPath", "wrongKey"),
});

/** The SignalR face's REST data plane: hostile paths, queries, bodies and tokens. */
export const signalRRestTarget: FuzzTarget = {
  name: "SignalR REST API",
  inputs: 1500,
  async run({ seed, signalr }): Promise<FuzzOutcome> {
    const failures: string[] = [];
    const resets: string[] = [];
    const base = new URL(signalr.url);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    const items = samples(input, seed + 31, this.inputs);
    await inParallel(items, 8, async (item) => {
      const [templateMethod, template] = item.template.split(" ") as [string, string];
      const method = item.otherMethod ?? templateMethod;
      const path = template.replace("{prefix}", item.prefix).replace(/\{(\w+)\}/g, (_, name: string) => encodeComponent(item.params[name]!));
      const query = item.query.map(([k, v]) => `${k}=${encodeComponent(v)}`).join("&");
      const target = query ? `${path}?${query}` : path;
      const headers: Record<string, string> = item.contentType ? { "content-type": item.contentType } : {};
      if (item.auth === "valid") headers.authorization = `Bearer ${signalRRestToken(signalr.url, path)}`;
      else if (item.auth === "garbage") headers.authorization = "Bearer x.y.z";
      else if (item.auth === "otherPath") headers.authorization = `Bearer ${signalRRestToken(signalr.url, "/api/hubs/other/:send")}`;
      else if (item.auth === "wrongKey") headers.authorization = `Bearer ${signalRRestToken(signalr.url, path, "wrong-key-wrong-key-wrong-key-wrong-key")}`;
      const result = await send(agent, base, method, target, headers, item.body);
      const describe = (): string => `${method} ${target.slice(0, 300)} (${item.auth}, ${item.body.length} bytes)`;
      if (result.status === 0) resets.push(`SignalR REST reset: ${result.body} to ${describe()}`);
      else if (result.status >= 500) failures.push(`SignalR REST answered ${result.status} ${result.body.slice(0, 200)} to ${describe()}`);
      else if (result.status >= 400 && method !== "HEAD" && result.body) {
        try {
          const error = JSON.parse(result.body) as { code?: unknown; message?: unknown };
          if (typeof error.code !== "string" || typeof error.message !== "string") failures.push(`SignalR REST error without {code, message}: ${result.body.slice(0, 200)} to ${describe()}`);
        } catch {
          failures.push(`SignalR REST error body is not JSON: ${result.body.slice(0, 200)} to ${describe()}`);
        }
      }
    });
    agent.destroy();
    return { inputs: items.length, failures, resets };
  },
};
