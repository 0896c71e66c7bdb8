/** The WebSocket close codes the service uses, in one place. */
export const CloseCode = {
  /** Service-initiated end of a non-reliable session (REST close). */
  normal: 1000,
  /** Server shutting down. */
  goingAway: 1001,
  /** Binary frame on a JSON subprotocol. */
  unsupportedData: 1003,
  /** Invalid JSON protocol message. */
  invalidPayload: 1007,
  /** Failed recovery, full reliable buffer, or service-initiated end of a reliable session. */
  policyViolation: 1008,
  /** Client frame over the size limit (sent by ws itself through `maxPayload`). */
  messageTooBig: 1009,
  /** A raw client's upstream event failed. */
  internalError: 1011,
} as const;
