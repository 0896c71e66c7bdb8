import jwt from "jsonwebtoken";
import { FUZZ_ACCESS_KEY } from "./fuzz-limits";

/** A SignalR client token as the SDK signs it (`aud` is the client endpoint with the hub), with any claims on top. */
export function signalRClientToken(serviceUrl: string, hub: string, claims: Record<string, unknown> = {}, key = FUZZ_ACCESS_KEY): string {
  return jwt.sign({ aud: `${serviceUrl}/client/?hub=${hub.toLowerCase()}`, exp: Math.floor(Date.now() / 1000) + 3600, ...claims }, key, { algorithm: "HS256" });
}

/** A SignalR REST token: `aud` is the request URL with `api-version` only, as the SDK signs it. */
export function signalRRestToken(serviceUrl: string, path: string, key = FUZZ_ACCESS_KEY): string {
  return jwt.sign({ aud: `${serviceUrl}${path}?api-version=2022-06-01`, exp: Math.floor(Date.now() / 1000) + 3600 }, key, { algorithm: "HS256" });
}

export type SignalRTokenKind = "none" | "garbage" | "valid" | "noExp" | "wrongKey" | "wrongAud" | "expired" | "algNone";

export const signalRTokenKinds: readonly SignalRTokenKind[] = ["none", "garbage", "valid", "valid", "valid", "noExp", "wrongKey", "wrongAud", "expired", "algNone"];

/** A client token of the given kind for `hub`, carrying `claims`. */
export function signalRTokenOfKind(kind: SignalRTokenKind, serviceUrl: string, hub: string, claims: Record<string, unknown>): string | undefined {
  const aud = `${serviceUrl}/client/?hub=${hub}`;
  switch (kind) {
    case "none":
      return undefined;
    case "garbage":
      return "not.a.token";
    case "valid":
      return signalRClientToken(serviceUrl, hub, claims);
    case "noExp":
      return jwt.sign({ aud, ...claims }, FUZZ_ACCESS_KEY, { algorithm: "HS256" });
    case "wrongKey":
      return signalRClientToken(serviceUrl, hub, claims, "another-key-another-key-another-key-00");
    case "wrongAud":
      return signalRClientToken(serviceUrl, `${hub}x`, claims);
    case "expired":
      return signalRClientToken(serviceUrl, hub, { ...claims, exp: Math.floor(Date.now() / 1000) - 3600 });
    case "algNone":
      return jwt.sign({ aud, exp: Math.floor(Date.now() / 1000) + 60, ...claims }, "", { algorithm: "none" });
    default: {
      const _never: never = kind;
      return _never;
    }
  }
}
