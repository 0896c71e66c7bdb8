/**
 * What a session writes to: one attached client transport (a WebSocket today; a Server-Sent
 * Events stream or a Long Polling exchange can sit behind the same interface). The core never
 * sees a socket: it sends whole messages, reads the backpressure, and closes.
 */
export interface SessionTransport {
  /** Bytes accepted but not yet sent to the client (a client that does not read lets it grow). */
  readonly bufferedAmount: number;
  /** True while the transport can still send: false once it closed or is closing. */
  readonly open: boolean;
  /** Sends one whole message. */
  send(data: Buffer | string, binary: boolean): void;
  /**
   * Sends one data message whose wire frame was made once for every recipient (`frame`), or its
   * `payload` when this transport cannot use the shared frame.
   */
  sendFramed(frame: Buffer, payload: Buffer, binary: boolean): void;
  /** Ends the transport with a close code and a reason the client sees. */
  close(code: number, reason: string): void;
}
