import jwt from "jsonwebtoken";
import { afterAll, beforeAll, expect, it } from "vitest";
import { systemClock } from "../../../emulator/src/options";
import { createServer, type ServiceServer } from "../../../emulator/src/server";

const KEY = "service-clock-test-key-service-clock-test-key";
const OFFSET_MS = 120_000;
let server: ServiceServer;

beforeAll(async () => {
  server = await createServer({ port: 0, accessKey: KEY, clock: { ...systemClock, now: () => Date.now() + OFFSET_MS } });
});
afterAll(async () => {
  await server.close();
});

it("the REST layer reads time from the service clock (issued tokens, TTL expiry)", async () => {
  const path = "/api/hubs/hub1/:generateToken?api-version=2024-12-01";
  const before = Math.floor((Date.now() + OFFSET_MS) / 1000);
  const res = await fetch(`${server.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${jwt.sign({}, KEY, { audience: `${server.url}${path}`, expiresIn: "1h", algorithm: "HS256" })}` },
  });
  const after = Math.floor((Date.now() + OFFSET_MS) / 1000);
  expect(res.status).toBe(200);
  const { iat } = jwt.decode(((await res.json()) as { token: string }).token) as jwt.JwtPayload;
  expect(iat).toBeGreaterThanOrEqual(before);
  expect(iat).toBeLessThanOrEqual(after);
});
