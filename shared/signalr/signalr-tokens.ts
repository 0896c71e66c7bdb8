import type { KeyObject } from "node:crypto";
import jwt from "jsonwebtoken";

/** Signs the two tokens Azure SignalR Service accepts: client access tokens and REST tokens. */
export interface SignalRTokenSigner {
  /**
   * A client access token for `audience` (`{endpoint}/client/?hub={hub}`), carrying the user id
   * as `asrs.s.uid`, the claim the current service SDK and Functions extension write.
   */
  clientToken(audience: string, userId: string, lifetimeSeconds: number): string;
  /** A bearer for one REST call: `aud` is the request URL (the service compares its path). */
  restToken(audience: string): string;
}

/** REST bearers live long enough for one call and its retries. */
const restTokenLifetimeSeconds = 300;

/** HS256 (pinned) with the access key, made once by the caller. */
export function createSignalRTokenSigner(key: KeyObject): SignalRTokenSigner {
  return Object.freeze({
    clientToken: (audience: string, userId: string, lifetimeSeconds: number) =>
      jwt.sign({ "asrs.s.uid": userId }, key, { algorithm: "HS256", audience, expiresIn: lifetimeSeconds, notBefore: 0 }),
    restToken: (audience: string) => jwt.sign({}, key, { algorithm: "HS256", audience, expiresIn: restTokenLifetimeSeconds }),
  });
}
