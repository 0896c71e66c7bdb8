import type { WebSocket } from "ws";
import type { SessionTransport } from "../node/session-transport";
import { encodeFragmentedMessage } from "../protocol/websocket-frame";
import { writeFramed } from "../ws/framed-write";

/**
 * Where one SignalR connection writes its hub messages: a WebSocket, a Server-Sent Events
 * stream, or a Long Polling exchange. Every write is one or more whole hub messages (the client
 * parses each chunk it receives on its own and rejects a partial message).
 */
export interface HubChannel extends SessionTransport {
  /** Which transport, as negotiate names it. */
  readonly kind: "WebSockets" | "ServerSentEvents" | "LongPolling";
}

/** Bytes of WebSocket payload per frame when messages are fragmented (0: one frame per message). */
export type FragmentBytes = number;

/**
 * A WebSocket channel. With `fragmentBytes` > 0, a message larger than that goes out as one
 * fragmented WebSocket message (a first frame and continuation frames of at most `fragmentBytes`
 * of payload each), as Azure SignalR Service splits large messages into frames of 2 KB; clients
 * reassemble it into the same message.
 */
export class WebSocketHubChannel implements HubChannel {
  readonly kind = "WebSockets" as const;

  constructor(
    readonly socket: WebSocket,
    private readonly fragmentBytes: FragmentBytes,
  ) {}

  get bufferedAmount(): number {
    return this.socket.bufferedAmount;
  }

  get open(): boolean {
    return this.socket.readyState === this.socket.OPEN;
  }

  send(data: Buffer | string, binary: boolean): void {
    const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    if (this.fragmentBytes <= 0 || bytes.length <= this.fragmentBytes) {
      this.socket.send(bytes, { binary });
      return;
    }
    for (let offset = 0; offset < bytes.length; offset += this.fragmentBytes) {
      const end = Math.min(bytes.length, offset + this.fragmentBytes);
      this.socket.send(bytes.subarray(offset, end), { binary, fin: end === bytes.length });
    }
  }

  sendFramed(frame: Buffer, payload: Buffer, binary: boolean): void {
    writeFramed(this.socket, frame, payload, binary);
  }

  /** The message's wire bytes (fragmented as this channel fragments), made once for every recipient of a fan-out. */
  wireOf(payload: Buffer, binary: boolean): Buffer {
    return encodeFragmentedMessage(payload, binary, this.fragmentBytes);
  }

  close(code: number, reason: string): void {
    this.socket.close(code, reason);
  }
}
