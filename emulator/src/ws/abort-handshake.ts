import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";

/** Refuses a WebSocket upgrade with an HTTP status and a one-line plain-text reason. */
export function abortHandshake(socket: Duplex, status: number, reason: string): void {
  if (socket.destroyed) return;
  const body = reason.replace(/[\r\n]+/g, " ");
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Error"}\r\n` +
      "Connection: close\r\n" +
      "Content-Type: text/plain; charset=utf-8\r\n" +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      "\r\n" +
      body,
  );
  socket.destroy();
}
