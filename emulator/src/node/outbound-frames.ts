import { isUtf8 } from "node:buffer";
import type { OutboundData } from "../cluster/commands";
import { buildDataFrame, type DataFrame } from "../protocol/server-message";
import { encodeDataFrame } from "../protocol/websocket-frame";

/**
 * One data message, serialized at most once per protocol variant however many recipients it
 * has: raw payload bytes, and the JSON frame (whose prefix reliable clients share).
 */
export class OutboundFrames {
  private rawBytes: Buffer | undefined;
  private dataFrame: DataFrame | undefined;
  private rawWire: Buffer | undefined;
  private jsonWire: Buffer | undefined;
  private faceFrames: Map<symbol, unknown> | undefined;
  private rawBinary: boolean | undefined;

  constructor(readonly message: OutboundData) {}

  get raw(): Buffer {
    const data = this.message.data;
    this.rawBytes ??= Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    return this.rawBytes;
  }

  get json(): DataFrame {
    this.dataFrame ??= buildDataFrame(this.message);
    return this.dataFrame;
  }

  /**
   * Whether raw clients get a binary frame: binary data, and text whose bytes are not UTF-8 (an
   * event handler's reply, say), which in a text frame would make the client fail the connection.
   */
  get binary(): boolean {
    this.rawBinary ??= this.message.dataType === "binary" || !isUtf8(this.raw);
    return this.rawBinary;
  }

  /** The raw payload as a whole WebSocket frame, framed once for every raw recipient. */
  get rawFrame(): Buffer {
    this.rawWire ??= encodeDataFrame(this.raw, this.binary);
    return this.rawWire;
  }

  /** The JSON frame as a whole WebSocket text frame, framed once for every JSON recipient. */
  get jsonFrame(): Buffer {
    this.jsonWire ??= encodeDataFrame(this.json.json, false);
    return this.jsonWire;
  }

  /** A frame of another face (SignalR JSON, MessagePack), built once per message under the face's own key. */
  faceFrame<T>(key: symbol, build: (message: OutboundData) => T): T {
    this.faceFrames ??= new Map();
    if (this.faceFrames.has(key)) return this.faceFrames.get(key) as T;
    const frame = build(this.message);
    this.faceFrames.set(key, frame);
    return frame;
  }

  /** Payload bytes, as the meter counts them. */
  get payloadBytes(): number {
    return this.message.data.byteLength;
  }
}
