import type { IncomingMessage } from "node:http";
import { dataTypeOfMediaType, mediaTypeOf } from "../../../common/content-type";
import type { DataType } from "../cluster/commands";
import { restError } from "./rest-errors";

/**
 * Reads a request body as a stream, refusing it with 413 as soon as it passes `maxBytes`:
 * an announced Content-Length over the limit is refused before any byte is read.
 * On refusal the request stops being read; the caller closes the connection after answering.
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const announced = Number(req.headers["content-length"]);
  if (Number.isFinite(announced) && announced > maxBytes) return Promise.reject(tooLarge(maxBytes));
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const cleanup = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      req.off("aborted", onAborted);
    };
    const onData = (chunk: Buffer) => {
      total += chunk.length;
      if (total > maxBytes) {
        cleanup();
        req.pause();
        reject(tooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onAborted = () => onError(new Error("request aborted"));
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
    req.on("aborted", onAborted);
  });
}

function tooLarge(maxBytes: number) {
  return restError("PayloadTooLarge", `The request body is larger than ${maxBytes} bytes.`);
}

/** Content type → data type, as the REST API maps it, ignoring parameters such as `; charset=utf-8`. */
export function dataTypeOf(contentType: string | undefined): DataType {
  const mediaType = mediaTypeOf(contentType);
  const dataType = dataTypeOfMediaType(mediaType);
  if (!dataType) {
    throw restError("UnsupportedMediaType", `Unsupported content type '${mediaType.slice(0, 64)}': use application/json, text/plain or application/octet-stream.`);
  }
  return dataType;
}

/** A json body must be one valid JSON value; it is forwarded as the original bytes. */
export function checkJsonBody(body: Buffer): void {
  try {
    JSON.parse(body.toString("utf8"));
  } catch {
    throw restError("InvalidJson", "The body is not valid JSON.");
  }
}
