/** Builds outgoing bodies per data type and describes received data (pure; no DOM). */
import type { OutgoingBody } from "./function-api";

export type DataType = "text" | "json" | "binary";

const encoder = new TextEncoder();

/** Pads `text` with spaces up to `padToBytes` UTF-8 bytes (a way to try size limits and 2 KB units). */
export function padText(text: string, padToBytes: number | undefined): string {
  if (!padToBytes) return text;
  const missing = padToBytes - encoder.encode(text).length;
  return missing > 0 ? text + " ".repeat(missing) : text;
}

export function buildBody(dataType: DataType, text: string): OutgoingBody {
  switch (dataType) {
    case "text":
      return { contentType: "text/plain", bytes: encoder.encode(text) };
    case "json":
      return { contentType: "application/json", bytes: encoder.encode(text) };
    case "binary":
      return { contentType: "application/octet-stream", bytes: encoder.encode(text) };
    default: {
      const _never: never = dataType;
      throw new Error(`unknown data type ${String(_never)}`);
    }
  }
}

/** JSON values the client SDK accepts (its `JSONTypes`; `null` is not among them). */
export type ClientSdkJson = string | number | boolean | object;

/** The value the client SDK needs for `sendToGroup`: a string, parsed JSON, or an ArrayBuffer. */
export function clientSdkData(dataType: DataType, text: string): ClientSdkJson | ArrayBuffer {
  switch (dataType) {
    case "text":
      return text;
    case "json":
      return JSON.parse(text) as ClientSdkJson;
    case "binary": {
      const bytes = encoder.encode(text);
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    }
    default: {
      const _never: never = dataType;
      throw new Error(`unknown data type ${String(_never)}`);
    }
  }
}

export interface ReceivedView {
  size: number;
  preview: string;
}

function hexPreview(bytes: Uint8Array): string {
  const shown = [...bytes.subarray(0, 32)].map((byte) => byte.toString(16).padStart(2, "0")).join(" ");
  return bytes.length > 32 ? `${shown} …` : shown;
}

/** Size in bytes and a printable preview of received data of any type. */
export function describeReceived(dataType: string, data: unknown): ReceivedView {
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) {
    const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    return { size: bytes.byteLength, preview: `${hexPreview(bytes)} (“${new TextDecoder().decode(bytes.subarray(0, 64))}”)` };
  }
  if (dataType === "text" && typeof data === "string") return { size: encoder.encode(data).length, preview: data };
  const json = JSON.stringify(data) ?? "null";
  return { size: encoder.encode(json).length, preview: json };
}

export function byteLength(text: string): number {
  return encoder.encode(text).length;
}
