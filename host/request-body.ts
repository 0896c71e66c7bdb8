import type { IncomingMessage, ServerResponse } from "node:http";

export type BodyReadResult = { kind: "ok"; bytes: Buffer } | { kind: "too-large" };

/** Reads a request body up to `maxBytes`; stops reading (and reports) as soon as it is over. */
export function readRequestBody(req: IncomingMessage, maxBytes: number): Promise<BodyReadResult> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.resolve({ kind: "too-large" });
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const onData = (chunk: Buffer): void => {
      total += chunk.length;
      if (total > maxBytes) {
        req.off("data", onData);
        req.resume();
        resolve({ kind: "too-large" });
        return;
      }
      chunks.push(chunk);
    };
    req.on("data", onData);
    req.once("end", () => resolve({ kind: "ok", bytes: Buffer.concat(chunks, total) }));
    req.once("error", reject);
  });
}

/** How long a refused body may keep arriving after its 413 before the socket is cut. */
export const refusedBodyLingerMs = 2_000;

/**
 * After a 413 for a body still arriving: keep discarding what the client sends (Node drains an
 * unread request once the response is done) instead of closing at once. Closing a socket that
 * holds unread data resets it, and the reset can destroy the 413 before the client has read it.
 * A client still sending `lingerMs` after the answer is cut off, so draining stays bounded.
 */
export function lingerAfterRefusal(req: IncomingMessage, res: ServerResponse, lingerMs: number = refusedBodyLingerMs): void {
  res.once("finish", () => {
    if (req.complete) return;
    const timer = setTimeout(() => {
      if (!req.complete) req.socket.destroy();
    }, lingerMs);
    timer.unref();
    req.once("end", () => clearTimeout(timer));
    req.socket.once("close", () => clearTimeout(timer));
  });
}
