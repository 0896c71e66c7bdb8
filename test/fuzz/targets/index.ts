import type { FuzzTarget } from "../support/fuzz-target";
import { functionRoutesTarget } from "./function-routes";
import { restApiTarget } from "./rest-api";
import { upstreamResponsesTarget } from "./upstream-responses";
import { wsFramesTarget } from "./ws-frames";
import { wsHandshakeTarget } from "./ws-handshake";

/**
 * Every face the hostile-input suite drives. The SignalR face (negotiate, the JSON and
 * MessagePack hub protocols) joins as one more entry here once it exists.
 */
export const fuzzTargets: readonly FuzzTarget[] = [wsHandshakeTarget, wsFramesTarget, restApiTarget, upstreamResponsesTarget, functionRoutesTarget];
