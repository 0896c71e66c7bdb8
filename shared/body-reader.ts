import { AppError } from "./errors";

/** The part of a WHATWG ReadableStream the reader uses (Functions' `request.body`, fetch bodies). */
export interface ByteStream {
  getReader(): {
    read(): Promise<{ done: true; value?: undefined } | { done: false; value: Uint8Array }>;
    cancel(reason?: unknown): Promise<void>;
  };
  cancel(reason?: unknown): Promise<void>;
}

/**
 * Reads a request body into memory up to `maxBytes`, refusing anything longer with 413 as soon as
 * the limit is crossed (a declared Content-Length over the limit is refused before reading).
 * Never buffers more than `maxBytes` plus one chunk.
 */
export async function readCappedBody(
  body: ByteStream | null,
  contentLength: string | null,
  maxBytes: number,
): Promise<Buffer> {
  if (contentLength !== null && /^\d+$/.test(contentLength) && Number(contentLength) > maxBytes) {
    await body?.cancel().catch(() => undefined);
    throw tooLarge(maxBytes);
  }
  if (body === null) return Buffer.alloc(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total);
}

function tooLarge(maxBytes: number): AppError {
  return new AppError("PayloadTooLarge", `The body is larger than ${maxBytes.toLocaleString("en-US")} bytes.`, { maxBytes });
}
