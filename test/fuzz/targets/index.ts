import type { FuzzTarget } from "../support/fuzz-target";
import { functionRoutesTarget } from "./function-routes";
import { restApiTarget } from "./rest-api";
import { signalRFramesTarget } from "./signalr-frames";
import { signalRHttpTransportsTarget } from "./signalr-http-transports";
import { signalRNegotiateTarget } from "./signalr-negotiate";
import { signalRRestTarget } from "./signalr-rest";
import { upstreamResponsesTarget } from "./upstream-responses";
import { wsFramesTarget } from "./ws-frames";
import { wsHandshakeTarget } from "./ws-handshake";

/**
 * Every face the hostile-input suite drives: Web PubSub (handshake, client frames, REST, upstream
 * responses), the function routes, and the SignalR face (negotiate and connect, the JSON and
 * MessagePack hub protocols, Server-Sent Events and Long Polling, REST), which runs in a service process of its own.
 */
export const fuzzTargets: readonly FuzzTarget[] = [
  wsHandshakeTarget,
  wsFramesTarget,
  restApiTarget,
  upstreamResponsesTarget,
  functionRoutesTarget,
  signalRNegotiateTarget,
  signalRFramesTarget,
  signalRHttpTransportsTarget,
  signalRRestTarget,
];
