/**
 * Key material is a KeyObject made once: the SDK's REST signing and client tokens, and the local
 * service's REST and client-token checks, all hand jsonwebtoken the same KeyObject on every call.
 * Handing it the key as a string again (e.g. building the SDK client from the connection string)
 * makes jsonwebtoken parse the key per call, and fails these tests.
 */
import { KeyObject } from "node:crypto";
import { createRequire } from "node:module";
import { WebSocket } from "ws";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { ServiceServer } from "../../emulator/src/server";
import type { TriggerDeps } from "../../functions/trigger-deps";
import { createServiceClient } from "../../shared/service-client";
import { startService } from "./support/live-service";

// jsonwebtoken exactly as @azure/web-pubsub loads it (the same module object the service uses).
const sdkRequire = createRequire(require.resolve("@azure/web-pubsub"));
const jsonwebtoken = sdkRequire("jsonwebtoken") as typeof import("jsonwebtoken");

let server: ServiceServer;
let deps: TriggerDeps;
/** The SDK client exactly as the Web PubSub side of the app builds it. */
let client: ReturnType<typeof createServiceClient>;

beforeAll(async () => {
  ({ server, deps } = await startService());
  client = createServiceClient(deps.config);
});
afterAll(async () => {
  await server.close();
});
afterEach(() => {
  vi.restoreAllMocks();
});

function openSocket(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
  });
}

describe("signing keys are KeyObjects made once", () => {
  it("the SDK signs every REST call and client token with the config's KeyObject", async () => {
    const sign = vi.spyOn(jsonwebtoken, "sign");
    await client.sendToAll("one", { contentType: "text/plain" });
    await client.sendToUser("u1", "two", { contentType: "text/plain" });
    await client.group("g1").sendToAll("three", { contentType: "text/plain" });
    const token = await client.getClientAccessToken({ userId: "u1" });
    await client.getClientAccessToken({ userId: "u2" });
    expect(token.url).toContain("access_token=");
    expect(sign).toHaveBeenCalledTimes(5);
    for (const call of sign.mock.calls) expect(call[1]).toBe(deps.config.accessKeyObject);
  });

  it("the service checks REST and client tokens with KeyObjects it made at start, the same ones every time", async () => {
    const verify = vi.spyOn(jsonwebtoken, "verify");
    await client.sendToAll("one", { contentType: "text/plain" });
    await client.sendToAll("two", { contentType: "text/plain" });
    const { url } = await client.getClientAccessToken({ userId: "u1" });
    const sockets = [await openSocket(url), await openSocket(url)];
    for (const ws of sockets) ws.terminate();
    // Two REST checks and two handshakes; each verified with the primary key first.
    expect(verify).toHaveBeenCalledTimes(4);
    const keys = verify.mock.calls.map((call) => call[1]);
    for (const key of keys) expect(key).toBeInstanceOf(KeyObject);
    expect((keys[0] as KeyObject).type).toBe("secret");
    expect(keys[1]).toBe(keys[0]); // REST: one key object for both calls
    expect(keys[3]).toBe(keys[2]); // handshake: one key object for both sockets
  });
});
