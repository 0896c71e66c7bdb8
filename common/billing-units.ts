/**
 * Azure's billing arithmetic for outbound messages. Pure: no I/O, no Node APIs,
 * so the web page can bundle it too.
 *
 * Two documented rules, kept apart because they disagree on many small messages:
 * - Per message (the rule this project bills by, and word for word SignalR's
 *   `signalr-concept-messages-and-connections.md`): every outbound message costs
 *   ceil(bytes / 2 KB) units, at least 1. Azure's three worked examples (3, 1 and 8) use it.
 * - Aggregate traffic (Web PubSub's `concept-billing-model.md`: "the size of outbound traffic
 *   (bytes) in 2-KB increments ... 100 KB of traffic is counted as 50 messages"): the total
 *   outbound bytes in 2 KB steps. Never more than the per-message figure.
 */

/** One billing unit ("message") is 2 KB of outbound payload. */
export const BILLING_STEP_BYTES = 2048;

/** Units one outbound message costs under the per-message rule: ceil(bytes / 2048), at least 1. */
export function billedUnits(bytes: number): number {
  if (!Number.isFinite(bytes) || bytes < 0) throw new RangeError(`bytes must be a non-negative finite number, got ${bytes}`);
  return Math.max(1, Math.ceil(bytes / BILLING_STEP_BYTES));
}

/** Units a total of outbound traffic costs under the aggregate rule: ceil(totalBytes / 2048). */
export function trafficUnits(totalBytes: number): number {
  if (!Number.isFinite(totalBytes) || totalBytes < 0) throw new RangeError(`totalBytes must be a non-negative finite number, got ${totalBytes}`);
  return Math.ceil(totalBytes / BILLING_STEP_BYTES);
}
