import * as wsModule from "ws";
import { describe, expect, it } from "vitest";
import { encodeDataFrame, encodeFragmentedMessage } from "../../emulator/src/protocol/websocket-frame";

// ws's own framing, as `send` would put it on the wire (server side: unmasked, final frame).
type FrameFn = (data: Buffer, options: { fin: boolean; rsv1: boolean; opcode: number; mask: boolean; readOnly: boolean }) => Buffer[];
const wsFrame = (wsModule as unknown as { Sender: { frame: FrameFn } }).Sender.frame;

describe("encodeDataFrame", () => {
  it.each([0, 1, 125, 126, 1024, 65_535, 65_536, 70_000])("matches ws's framing byte for byte for %i payload bytes", (length) => {
    const payload = Buffer.alloc(length, 0x61);
    for (const binary of [false, true]) {
      const expected = Buffer.concat(wsFrame(payload, { fin: true, rsv1: false, opcode: binary ? 2 : 1, mask: false, readOnly: false }));
      expect(encodeDataFrame(payload, binary).equals(expected)).toBe(true);
    }
  });

  it.each([
    [5, "text", [0x81, 5]],
    [300, "binary", [0x82, 126, 0x01, 0x2c]],
    [65_536, "text", [0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0]],
  ] as const)("writes the RFC 6455 header for %i bytes of %s", (length, kind, header) => {
    const frame = encodeDataFrame(Buffer.alloc(length), kind === "binary");
    expect([...frame.subarray(0, header.length)]).toEqual(header);
    expect(frame.length).toBe(header.length + length);
  });
});

describe("encodeFragmentedMessage", () => {
  it("matches ws's fragmented send byte for byte: a first frame with the opcode, continuations, FIN on the last", () => {
    const payload = Buffer.from("x".repeat(5000));
    for (const binary of [false, true]) {
      const parts = [payload.subarray(0, 2048), payload.subarray(2048, 4096), payload.subarray(4096)];
      const expected = Buffer.concat(
        parts.flatMap((part, i) => wsFrame(part, { fin: i === parts.length - 1, rsv1: false, opcode: i === 0 ? (binary ? 2 : 1) : 0, mask: false, readOnly: false })),
      );
      expect(encodeFragmentedMessage(payload, binary, 2048).equals(expected)).toBe(true);
    }
  });

  it("is one final frame when the payload fits, or with 0", () => {
    const payload = Buffer.alloc(2048, 0x62);
    expect(encodeFragmentedMessage(payload, false, 2048).equals(encodeDataFrame(payload, false))).toBe(true);
    expect(encodeFragmentedMessage(Buffer.alloc(5000), true, 0).equals(encodeDataFrame(Buffer.alloc(5000), true))).toBe(true);
  });
});
