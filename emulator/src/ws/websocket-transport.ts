import { WebSocket } from "ws";
import type { SessionTransport } from "../node/session-transport";
import { writeFramed } from "./framed-write";

/** A session transport over one `ws` WebSocket. */
export class WebSocketTransport implements SessionTransport {
  constructor(readonly socket: WebSocket) {}

  get bufferedAmount(): number {
    return this.socket.bufferedAmount;
  }

  get open(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  send(data: Buffer | string, binary: boolean): void {
    this.socket.send(data, { binary });
  }

  sendFramed(frame: Buffer, payload: Buffer, binary: boolean): void {
    writeFramed(this.socket, frame, payload, binary);
  }

  close(code: number, reason: string): void {
    this.socket.close(code, reason);
  }
}
