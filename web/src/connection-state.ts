/**
 * The connection state shown to the user, as a pure reducer over what the page observes:
 * SDK events (`connected`, `disconnected`, `stopped`) and the WebSocket lifecycle (the SDK does
 * not report recovery, but a recovery socket is recognisable by its `awps_connection_id`).
 */
export type ConnectionStatus = "idle" | "connecting" | "connected" | "recovering" | "disconnected";

export interface ConnectionView {
  status: ConnectionStatus;
  connectionId: string | null;
  userId: string | null;
  /** Set while the user asked to stop, so a close is not mistaken for a drop. */
  stopping: boolean;
}

export type ConnectionEvent =
  | { kind: "start-requested" }
  | { kind: "stop-requested" }
  | { kind: "socket-opening"; recovery: boolean }
  | { kind: "socket-open"; recovery: boolean }
  | { kind: "socket-closed" }
  | { kind: "sdk-connected"; connectionId: string; userId: string | null }
  | { kind: "sdk-disconnected" }
  | { kind: "sdk-stopped" };

export const initialConnectionView: ConnectionView = Object.freeze({ status: "idle", connectionId: null, userId: null, stopping: false });

export function nextConnectionView(view: ConnectionView, event: ConnectionEvent): ConnectionView {
  switch (event.kind) {
    case "start-requested":
      return { status: "connecting", connectionId: null, userId: null, stopping: false };
    case "stop-requested":
      return { ...view, stopping: true };
    case "socket-opening":
      if (view.stopping) return view;
      return { ...view, status: event.recovery ? "recovering" : "connecting" };
    case "socket-open":
      // A fresh socket counts as connected only once the service's `connected` message arrives.
      return event.recovery && !view.stopping ? { ...view, status: "connected" } : view;
    case "socket-closed":
      if (view.stopping || view.status !== "connected") return view;
      return { ...view, status: "recovering" };
    case "sdk-connected":
      return { ...view, status: "connected", connectionId: event.connectionId, userId: event.userId };
    case "sdk-disconnected":
      return { ...view, status: view.stopping ? view.status : "disconnected" };
    case "sdk-stopped":
      return { ...view, status: "disconnected", stopping: false };
    default: {
      const _never: never = event;
      return _never;
    }
  }
}

export const statusLabels: Record<ConnectionStatus, string> = {
  idle: "not connected",
  connecting: "connecting",
  connected: "connected",
  recovering: "recovering",
  disconnected: "disconnected",
};
