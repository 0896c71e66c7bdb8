import http from "node:http";
import fc from "fast-check";
import { FUZZ_MAX_BODY_BYTES } from "../support/fuzz-limits";
import type { FuzzOutcome, FuzzTarget } from "../support/fuzz-target";
import { anyJson, badUtf8, encodeComponent, hostileText, inParallel, samples } from "../support/hostile";
import { restToken } from "../support/tokens";

const templates = [
  "POST hubs/{hub}/:send",
  "POST hubs/{hub}/:closeConnections",
  "POST hubs/{hub}/:addToGroups",
  "POST hubs/{hub}/:removeFromGroups",
  "POST hubs/{hub}/:generateToken",
  "POST hubs/{hub}/users/{userId}/:send",
  "POST hubs/{hub}/users/{userId}/:closeConnections",
  "HEAD hubs/{hub}/users/{userId}",
  "DELETE hubs/{hub}/users/{userId}/groups",
  "PUT hubs/{hub}/users/{userId}/groups/{group}",
  "DELETE hubs/{hub}/users/{userId}/groups/{group}",
  "POST hubs/{hub}/connections/{connectionId}/:send",
  "HEAD hubs/{hub}/connections/{connectionId}",
  "DELETE hubs/{hub}/connections/{connectionId}",
  "DELETE hubs/{hub}/connections/{connectionId}/groups",
  "POST hubs/{hub}/groups/{group}/:send",
  "POST hubs/{hub}/groups/{group}/:closeConnections",
  "HEAD hubs/{hub}/groups/{group}",
  "GET hubs/{hub}/groups/{group}/connections",
  "PUT hubs/{hub}/groups/{group}/connections/{connectionId}",
  "DELETE hubs/{hub}/groups/{group}/connections/{connectionId}",
  "PUT hubs/{hub}/permissions/{permission}/connections/{connectionId}",
  "DELETE hubs/{hub}/permissions/{permission}/connections/{connectionId}",
  "HEAD hubs/{hub}/permissions/{permission}/connections/{connectionId}",
] as const;

interface RestInput {
  template: string;
  otherMethod: string | undefined;
  params: Record<string, string>;
  rawParams: boolean;
  query: Array<[string, string]>;
  body: Buffer;
  contentType: string;
  auth: "valid" | "none" | "garbage" | "otherUrl" | "wrongKey";
}

const paramValue = fc.oneof({ weight: 2, arbitrary: fc.constantFrom("rest", "u1", "g1", "c1", "sendToGroup", "joinLeaveGroup") }, { weight: 3, arbitrary: hostileText });

const input: fc.Arbitrary<RestInput> = fc.record({
  template: fc.constantFrom(...templates),
  otherMethod: fc.option(fc.constantFrom("GET", "PATCH", "OPTIONS", "POST", "PUT"), { freq: 8 }).map((m) => m ?? undefined),
  params: fc.record({ hub: paramValue, userId: paramValue, group: paramValue, connectionId: paramValue, permission: paramValue }),
  rawParams: fc.boolean(),
  query: fc.array(
    fc.tuple(
      fc.constantFrom("api-version", "filter", "messageTtlSeconds", "role", "group", "groups", "excluded", "minutesToExpire", "userId", "clientType", "reason", "targetName", "maxpagesize", "continuationToken", "x"),
      fc.oneof(fc.constantFrom("2024-12-01", "2021-10-01", "0", "301", "-1", "1e3", "userId eq 'a'", "(", "groups/any(g: g eq 'x')"), hostileText),
    ),
    { maxLength: 4 },
  ),
  body: fc.oneof(
    anyJson.map((v) => Buffer.from(JSON.stringify(v) ?? "")),
    fc.record({ filter: anyJson, groups: anyJson }).map((v) => Buffer.from(JSON.stringify(v))),
    badUtf8,
    fc.uint8Array({ maxLength: 128 }).map((a) => Buffer.from(a)),
    fc.nat({ max: 100 }).map((n) => Buffer.alloc(FUZZ_MAX_BODY_BYTES + 1 + n, 0x61)),
  ),
  contentType: fc.constantFrom("application/json", "text/plain", "application/octet-stream", "application/json; charset=latin1", "image/png", "", "application/json;;;"),
  auth: fc.constantFrom("valid", "valid", "valid", "valid", "none", "garbage", "otherUrl", "wrongKey"),
});

function encodeParam(value: string, raw: boolean): string {
  if (raw) return value.replace(/[^A-Za-z0-9%+._~!$&'()*,;=:@-]/g, (c) => Buffer.from(c, "utf8").toString("hex").replace(/../g, "%$&"));
  return encodeComponent(value);
}

/** Node's HTTP parser refuses a request head over 16 KiB with 431 and closes; the client may only see the reset. */
const MAX_HEAD_BYTES = 16 * 1024;

/**
 * One request. A reset while sending a body over the limit counts as the 413 the server sent
 * before closing, and a reset of a head over 16 KiB as Node's 431. Any other reset before an
 * answer is tried again twice: a server that answers before reading the body and then closes can
 * have its answer discarded by the reset of the unread bytes; only a reset every time is a failure.
 */
export async function send(
  agent: http.Agent,
  base: URL,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer,
  limit = FUZZ_MAX_BODY_BYTES,
): Promise<{ status: number; body: string }> {
  let result = await sendOnce(agent, base, method, path, headers, body, limit);
  for (let attempt = 0; attempt < 2 && result.status === 0; attempt++) result = await sendOnce(agent, base, method, path, headers, body, limit);
  return result;
}

function sendOnce(agent: http.Agent, base: URL, method: string, path: string, headers: Record<string, string>, body: Buffer, limit = FUZZ_MAX_BODY_BYTES): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = http.request({ host: base.hostname, port: base.port, method, path, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on("error", () => resolve({ status: res.statusCode ?? 0, body: "" }));
    });
    const headBytes = path.length + Object.entries(headers).reduce((n, [k, v]) => n + k.length + v.length + 4, 0);
    req.on("error", (error: NodeJS.ErrnoException) => {
      if (headBytes > MAX_HEAD_BYTES - 256) return resolve({ status: 431, body: "" });
      resolve(body.length > limit ? { status: 413, body: "" } : { status: 0, body: error.message });
    });
    req.end(method === "GET" || method === "HEAD" ? undefined : body);
  });
}

export const restApiTarget: FuzzTarget = {
  name: "REST API",
  inputs: 2500,
  async run({ seed, service }): Promise<FuzzOutcome> {
    const failures: string[] = [];
    const resets: string[] = [];
    const base = new URL(service.url);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    const items = samples(input, seed, this.inputs);
    await inParallel(items, 8, async (item) => {
      const [templateMethod, template] = item.template.split(" ") as [string, string];
      const method = item.otherMethod ?? templateMethod;
      const path = `/api/${template.replace(/\{(\w+)\}/g, (_, name: string) => encodeParam(item.params[name]!, item.rawParams))}`;
      const query = item.query.map(([k, v]) => `${k}=${encodeParam(v, item.rawParams)}`).join("&");
      const target = query ? `${path}?${query}` : path;
      const url = `${service.url}${target}`;
      const headers: Record<string, string> = { "content-type": item.contentType };
      if (item.auth === "valid") headers.authorization = `Bearer ${restToken(url)}`;
      else if (item.auth === "garbage") headers.authorization = "Bearer x.y.z";
      else if (item.auth === "otherUrl") headers.authorization = `Bearer ${restToken(`${service.url}/api/hubs/other/:send`)}`;
      else if (item.auth === "wrongKey") headers.authorization = `Bearer ${restToken(url, "wrong-key-wrong-key-wrong-key-wrong-key")}`;
      const result = await send(agent, base, method, target, headers, item.body);
      const describe = (): string => `${method} ${target.slice(0, 300)} (${item.auth}, ${item.body.length} bytes)`;
      if (result.status === 0) resets.push(`REST reset: ${result.body} to ${describe()}`);
      else if (result.status >= 500) failures.push(`REST answered ${result.status} ${result.body.slice(0, 200)} to ${describe()}`);
      else if (result.status >= 400 && method !== "HEAD" && result.body) {
        try {
          const error = JSON.parse(result.body) as { code?: unknown; message?: unknown };
          if (typeof error.code !== "string" || typeof error.message !== "string") failures.push(`REST error without {code, message}: ${result.body.slice(0, 200)} to ${describe()}`);
        } catch {
          failures.push(`REST error body is not JSON: ${result.body.slice(0, 200)} to ${describe()}`);
        }
      }
    });
    agent.destroy();
    return { inputs: items.length, failures, resets };
  },
};
