import type { SendOutcome } from "./client-session";
import type { OutboundFrames } from "./outbound-frames";

/**
 * The half of a session that belongs to a face other than Web PubSub (SignalR): how deliveries
 * are framed, how the service says goodbye and whom it tells when the session opens and ends.
 * The core keeps membership, delivery and metering; the adapter owns the wire and its upstream.
 */
export interface SessionAdapter {
  /** Writes one data message in the face's framing; anything but "sent" means the session must end past a limit. */
  sendData(frames: OutboundFrames): SendOutcome;
  /** The session joined its hub: tell the face's upstream. */
  opened(): void;
  /**
   * The session ends (by the service or its client): say why in the face's protocol when
   * `notifyClient`, and close the client's transport if it still has one. Called whether or not
   * a transport is attached now.
   */
  close(reason: string, how: { notifyClient: boolean; closeCode?: number }): void;
  /** The session is gone for good (whoever ended it): stop timers, tell the face's upstream. */
  ended(reason: string): void;
}
