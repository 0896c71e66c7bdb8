import type { Duplex } from "node:stream";
import { WebSocket } from "ws";

/**
 * Writes a data frame made by `encodeDataFrame` to a client's socket: one write of bytes shared
 * by every recipient. `ws` itself would frame the payload again for each socket (a header per
 * socket and a corked two-part write). Safe only because the server never negotiates
 * permessage-deflate: then `ws` queues nothing of its own, and a frame written underneath it
 * lands between whole frames. With an extension, or without a socket, it falls back to `send`.
 * Back-pressure still shows: what is written counts in `ws.bufferedAmount`.
 */
export function writeFramed(ws: WebSocket, frame: Buffer, payload: Buffer, binary: boolean): void {
  if (ws.readyState !== WebSocket.OPEN) return; // as `send` after close: nothing goes out
  const socket = (ws as unknown as { _socket?: Duplex })._socket;
  if (!socket || ws.extensions !== "") {
    ws.send(payload, { binary });
    return;
  }
  socket.write(frame);
}
