import type { ServiceProcessInfo } from "./fuzz-processes";

/** Where the targets send their inputs: the service process, the functions stack, the scripted event handler. */
export interface FuzzContext {
  seed: number;
  service: ServiceProcessInfo;
  /** The local service's SignalR face, in its own process. */
  signalr: ServiceProcessInfo;
  functionsBase: string;
  /** The scripted event handler answers requests with these, in order (see `upstream-responses`). */
  upstreamScript: UpstreamScript;
}

export interface UpstreamReply {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** Never answer (the service's request timeout must end it). */
  hang?: boolean;
}

export interface UpstreamScript {
  /** Replies handed out to the next POSTs, one each; when empty the handler answers 200 with no body. */
  queue: UpstreamReply[];
}

/** What a target found: how many inputs it sent, and every broken invariant (with the input that broke it). */
export interface FuzzOutcome {
  inputs: number;
  failures: string[];
  /**
   * Requests that got no answer at all, three times, under load (a connection reset). Counted
   * apart and tolerated up to 1% of a target's inputs; a crashed or hung server exceeds that.
   */
  resets?: string[];
}

/**
 * One face of the system under hostile input. A new face (for example the SignalR hub protocol)
 * is one more entry in `targets/index.ts`: a name, an input count, and `run`.
 */
export interface FuzzTarget {
  name: string;
  inputs: number;
  run(context: FuzzContext): Promise<FuzzOutcome>;
}
