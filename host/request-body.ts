import type { IncomingMessage } from "node:http";

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
