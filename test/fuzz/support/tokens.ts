import jwt from "jsonwebtoken";
import { FUZZ_ACCESS_KEY } from "./fuzz-limits";

/** A client token as the SDK signs it, with any claims on top. */
export function clientToken(serviceUrl: string, hub: string, claims: Record<string, unknown> = {}, key = FUZZ_ACCESS_KEY): string {
  return jwt.sign({ aud: `${serviceUrl}/client/hubs/${hub}`, exp: Math.floor(Date.now() / 1000) + 3600, ...claims }, key, { algorithm: "HS256" });
}

/** A REST bearer token for exactly `url`, as the SDK signs it. */
export function restToken(url: string, key = FUZZ_ACCESS_KEY): string {
  return jwt.sign({ aud: url, exp: Math.floor(Date.now() / 1000) + 3600 }, key, { algorithm: "HS256" });
}
