/**
 * A final, unmasked WebSocket data frame (RFC 6455 base framing) as a server sends it, header and
 * payload in one buffer. Pure: a fan-out frames a message once with this and writes the same
 * bytes to every recipient's socket, instead of framing per socket.
 */
export function encodeDataFrame(payload: Buffer, binary: boolean): Buffer {
  return encodeFrame(payload, binary ? 0x2 : 0x1, true);
}

/**
 * One WebSocket message as several frames of at most `fragmentBytes` payload each (a first frame
 * with the message's opcode, then continuation frames, the last with FIN), in one buffer; a
 * payload that fits in one frame is one final frame.
 */
export function encodeFragmentedMessage(payload: Buffer, binary: boolean, fragmentBytes: number): Buffer {
  if (fragmentBytes <= 0 || payload.length <= fragmentBytes) return encodeDataFrame(payload, binary);
  const frames: Buffer[] = [];
  for (let offset = 0; offset < payload.length; offset += fragmentBytes) {
    const end = Math.min(payload.length, offset + fragmentBytes);
    frames.push(encodeFrame(payload.subarray(offset, end), offset === 0 ? (binary ? 0x2 : 0x1) : 0x0, end === payload.length));
  }
  return Buffer.concat(frames);
}

function encodeFrame(payload: Buffer, opcode: number, fin: boolean): Buffer {
  const length = payload.length;
  const headerLength = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + length);
  frame[0] = (fin ? 0x80 : 0) | opcode; // FIN + opcode (text, binary or continuation)
  if (length < 126) {
    frame[1] = length;
  } else if (length < 65_536) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  payload.copy(frame, headerLength);
  return frame;
}
