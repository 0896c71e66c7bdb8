import type { RawData } from "ws";

/** One `ws` message as a single Buffer, whatever shape `ws` handed it over in. */
export function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
