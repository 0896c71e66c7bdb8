import type { IncomingMessage, ServerResponse } from "node:http";
import type { HubChannel } from "./hub-channel";

const NO_CACHE = { "cache-control": "no-cache, no-store", pragma: "no-cache", expires: "Thu, 01 Jan 1970 00:00:00 GMT" } as const;

/**
 * A Server-Sent Events channel: one streamed GET response. Each write of whole hub messages is one
 * `data:` event (a payload line with an LF becomes several `data:` lines, which the client joins
 * back). Text only: negotiate never offers it to MessagePack.
 */
export class ServerSentEventsChannel implements HubChannel {
  readonly kind = "ServerSentEvents" as const;
  private ended = false;

  constructor(
    private readonly res: ServerResponse,
    headers: Record<string, string>,
  ) {
    res.writeHead(200, { ...headers, ...NO_CACHE, "content-type": "text/event-stream", "content-encoding": "identity", "x-accel-buffering": "no" });
    // The client's connect resolves on the stream's open event: headers and a comment go out at once.
    res.write(":\r\n");
    res.once("close", () => (this.ended = true));
  }

  get bufferedAmount(): number {
    return this.res.writableLength;
  }

  get open(): boolean {
    return !this.ended && !this.res.writableEnded && !this.res.destroyed;
  }

  send(data: Buffer | string, _binary: boolean): void {
    if (!this.open) return;
    const text = typeof data === "string" ? data : data.toString("utf8");
    if (text.length === 0) return;
    if (!text.includes("\n")) {
      this.res.write(`data: ${text}\r\n\r\n`);
      return;
    }
    this.res.write(`${text.split("\n").map((line) => `data: ${line.endsWith("\r") ? line.slice(0, -1) : line}\r\n`).join("")}\r\n`);
  }

  sendFramed(_frame: Buffer, payload: Buffer, binary: boolean): void {
    this.send(payload, binary);
  }

  /** Ends the stream: the client reads it as the end of the connection. */
  close(): void {
    if (!this.open) return;
    this.ended = true;
    this.res.end();
  }
}

export interface LongPollingEvents {
  /** No poll arrived within the grace window, or the channel ended: the connection is over. */
  gone(code: number): void;
  /** A poll arrived: the client is alive. */
  polled(): void;
}

/**
 * A Long Polling channel: outbound messages wait in a buffer until a poll takes them all. The
 * first poll is answered at once and empty (the client discards its body); later polls are held
 * until there is data or `pollTimeoutMs` passes (then an empty 200). A newer poll ends an older
 * one with 204; once the channel is closed, what is left goes out and the next poll gets 204. A
 * connection with no poll waiting and none for `graceMs` is gone.
 */
export class LongPollingChannel implements HubChannel {
  readonly kind = "LongPolling" as const;
  private readonly chunks: Buffer[] = [];
  private bufferedBytes = 0;
  private poll: { res: ServerResponse; timer: ReturnType<typeof setTimeout> } | undefined;
  private closed = false;
  private finished = false;
  private polls = 0;
  private graceTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly pollTimeoutMs: number,
    private readonly graceMs: number,
    private readonly events: LongPollingEvents,
  ) {
    this.armGrace();
  }

  get bufferedAmount(): number {
    return this.bufferedBytes + (this.poll?.res.writableLength ?? 0);
  }

  get open(): boolean {
    return !this.closed;
  }

  send(data: Buffer | string): void {
    if (this.closed) return;
    const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    if (bytes.length === 0) return;
    this.chunks.push(bytes);
    this.bufferedBytes += bytes.length;
    if (this.poll) this.answer(this.poll.res);
  }

  sendFramed(_frame: Buffer, payload: Buffer): void {
    this.send(payload);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    // A waiting poll takes what is left (the Close message); the poll after it gets 204.
    if (this.poll) {
      if (this.bufferedBytes > 0) this.answer(this.poll.res);
      else this.end(this.poll.res);
    }
    if (this.bufferedBytes === 0 && !this.poll) this.finish();
  }

  /** One GET of the client. */
  accept(req: IncomingMessage, res: ServerResponse, headers: Record<string, string>): void {
    this.clearGrace();
    this.events.polled();
    this.polls += 1;
    const older = this.poll?.res;
    // A newer poll: the older one ends with 204.
    if (older && this.release(older)) older.writeHead(204, { ...headers, ...NO_CACHE }).end();
    if (this.finished || (this.closed && this.bufferedBytes === 0)) {
      res.writeHead(204, { ...headers, ...NO_CACHE }).end();
      this.finish();
      return;
    }
    if (this.polls === 1) {
      // "Connection established": answered at once, empty.
      res.writeHead(200, { ...headers, ...NO_CACHE, "content-type": "application/octet-stream", "content-length": 0 }).end();
      this.armGrace();
      return;
    }
    for (const [name, value] of Object.entries({ ...headers, ...NO_CACHE })) res.setHeader(name, value);
    if (this.bufferedBytes > 0) {
      this.answer(res);
      return;
    }
    const timer = setTimeout(() => {
      if (!this.release(res)) return;
      res.writeHead(200, { "content-type": "text/plain", "content-length": 0 }).end();
      this.armGrace();
    }, this.pollTimeoutMs);
    timer.unref?.();
    this.poll = { res, timer };
    req.once("close", () => {
      // The client gave the poll up (its stop(), or a dropped line): the connection waits for the next.
      if (this.release(res)) this.armGrace();
    });
  }

  /** Ends the connection now (DELETE): a waiting poll gets 204. */
  terminate(): void {
    this.discard();
    if (this.poll) this.end(this.poll.res);
    this.finish();
  }

  /** Forgets `res` as the waiting poll (and its timer); false when it was not the waiting one. */
  private release(res: ServerResponse): boolean {
    if (this.poll?.res !== res) return false;
    clearTimeout(this.poll.timer);
    this.poll = undefined;
    return true;
  }

  /** The connection is over: what waits for a poll is dropped. */
  private discard(): void {
    this.closed = true;
    this.chunks.length = 0;
    this.bufferedBytes = 0;
  }

  private answer(res: ServerResponse): void {
    const body = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    this.chunks.length = 0;
    this.bufferedBytes = 0;
    this.release(res);
    res.writeHead(200, { "content-type": "application/octet-stream", "content-length": body.length }).end(body);
    this.armGrace();
  }

  private end(res: ServerResponse): void {
    this.release(res);
    res.writeHead(204).end();
    this.finish();
  }

  private armGrace(): void {
    this.clearGrace();
    if (this.finished) return;
    this.graceTimer = setTimeout(() => {
      this.graceTimer = undefined;
      if (this.poll) return;
      this.discard();
      this.finish(1006);
    }, this.graceMs);
    this.graceTimer.unref?.();
  }

  private clearGrace(): void {
    if (this.graceTimer !== undefined) clearTimeout(this.graceTimer);
    this.graceTimer = undefined;
  }

  private finish(code = 1000): void {
    if (this.finished) return;
    this.finished = true;
    this.closed = true;
    this.clearGrace();
    this.events.gone(code);
  }
}
