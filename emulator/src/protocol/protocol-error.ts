/**
 * A malformed client frame. `ackId` is set when the frame named one, so the service can answer
 * with a `BadRequest` ack instead of closing the connection (close code 1007 otherwise);
 * `invocationId` likewise for a malformed `invoke`, answered with a failed `invokeResponse`;
 * `stream` for a malformed stream frame, answered with `streamClosed` (and, for a fragment or end
 * of an open stream, that stream's end with the same error).
 */
export class ProtocolError extends Error {
  override readonly name = "ProtocolError";
  constructor(
    message: string,
    readonly ackId?: number,
    readonly invocationId?: string,
    readonly stream?: { streamId: string; frame: "start" | "fragment" },
  ) {
    super(message);
  }
}
