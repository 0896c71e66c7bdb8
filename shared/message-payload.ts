import { dataTypeOfMediaType, mediaTypeOf } from "../common/content-type";
import { AppError } from "./errors";

/** A message ready for the SDK, keyed by the REST data type. */
export type MessagePayload =
  | { dataType: "json"; value: unknown; bytes: number }
  | { dataType: "text"; text: string; bytes: number }
  | { dataType: "binary"; data: Buffer; bytes: number };

export type DataType = MessagePayload["dataType"];

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Content-Type (parameters ignored) → data type as the REST API maps it; any other type gets 415. */
export function dataTypeFor(contentType: string | null): DataType {
  const mediaType = mediaTypeOf(contentType);
  const dataType = dataTypeOfMediaType(mediaType);
  if (!dataType) {
    throw new AppError("UnsupportedContentType", `Content-Type ${JSON.stringify(mediaType || "(none)")} is not supported; use application/json, text/plain or application/octet-stream.`);
  }
  return dataType;
}

/** Turns a body into a message: 415 for other content types, 400 for bad JSON, bad UTF-8 or no body. */
export function toMessagePayload(contentType: string | null, body: Buffer): MessagePayload {
  const dataType = dataTypeFor(contentType);
  if (body.length === 0) throw new AppError("EmptyBody");
  switch (dataType) {
    case "binary":
      return { dataType, data: body, bytes: body.length };
    case "text":
      return { dataType, text: decodeUtf8(body, "InvalidText"), bytes: body.length };
    case "json": {
      const text = decodeUtf8(body, "InvalidJson");
      try {
        return { dataType, value: JSON.parse(text), bytes: body.length };
      } catch (error) {
        throw new AppError("InvalidJson", `The body is not valid JSON (${(error as Error).message}).`);
      }
    }
  }
}

function decodeUtf8(body: Buffer, code: "InvalidText" | "InvalidJson"): string {
  try {
    return utf8.decode(body);
  } catch {
    throw new AppError(code, code === "InvalidJson" ? "The body is not valid JSON: it is not UTF-8." : undefined);
  }
}
