import type { Duplex } from "node:stream";
import { WebSocket } from "ws";

/** Sockets corked in this tick, uncorked (flushed as one write) on the next one. */
const corked = new WeakSet<Duplex>();

/**
 * Writes a data frame made by `encodeDataFrame` to a client's socket: one write of bytes shared
 * by every recipient. `ws` itself would frame the payload again for each socket (a header per
 * socket and a corked two-part write). Safe only because the server never negotiates
 * permessage-deflate: then `ws` queues nothing of its own, and a frame written underneath it
 * lands between whole frames. With an extension, or without a socket, it falls back to `send`.
 * Back-pressure still shows: what is written counts in `ws.bufferedAmount`.
 *
 * Frames written to one socket in the same tick leave in one system call: the socket is corked at
 * the first and uncorked on `process.nextTick`. A burst of group-stream fragments handled from one
 * TCP read then costs each recipient one write instead of one per fragment (the write was most of
 * a fan-out's time). Writes keep their order, `ws`'s own included, since they all queue behind the cork.
 */
export function writeFramed(ws: WebSocket, frame: Buffer, payload: Buffer, binary: boolean): void {
  if (ws.readyState !== WebSocket.OPEN) return; // as `send` after close: nothing goes out
  const socket = (ws as unknown as { _socket?: Duplex })._socket;
  if (!socket || ws.extensions !== "") {
    ws.send(payload, { binary });
    return;
  }
  if (!corked.has(socket)) {
    corked.add(socket);
    socket.cork();
    process.nextTick(uncork, socket);
  }
  socket.write(frame);
}

function uncork(socket: Duplex): void {
  corked.delete(socket);
  socket.uncork();
}
