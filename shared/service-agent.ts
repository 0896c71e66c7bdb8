import http from "node:http";
import https from "node:https";
import { maxServiceConnections } from "./limits";

/**
 * The one keep-alive agent a service client sends through: connections to the service are reused
 * across calls (no TCP handshake per message) and bounded, so a burst of calls queues on
 * `maxSockets` sockets instead of opening one per call. Nagle's algorithm is off on these sockets
 * (`noDelay`), as Node's HTTP server already has it off on its side: a call is one small request
 * answered by one small response, and a request written while an earlier segment on the socket is
 * still unacknowledged would otherwise wait for the peer's delayed ACK. Node's `http.Agent` already
 * defaults `noDelay` to true; it is set here so the path does not hang on that default.
 */
export function createServiceAgent(secure: boolean, maxSockets: number = maxServiceConnections): http.Agent {
  const options = { keepAlive: true, noDelay: true, maxSockets, scheduling: "lifo" as const };
  return secure ? new https.Agent(options) : new http.Agent(options);
}
