/**
 * Observes the WebSockets the client SDK opens (it uses the global `WebSocket` in browsers), so
 * the page can show "recovering" — the SDK exposes no event for it. Listeners are added with
 * `addEventListener`, beside the SDK's own `on*` handlers, so the SDK's behaviour is unchanged.
 */
export interface SocketWatchListener {
  opening(url: string): void;
  open(url: string): void;
  closed(url: string, code: number): void;
}

export function isRecoveryUrl(url: string): boolean {
  try {
    return new URL(url).searchParams.has("awps_connection_id");
  } catch {
    return false;
  }
}

export function installSocketWatch(target: { WebSocket: typeof WebSocket }, listener: SocketWatchListener): void {
  const NativeWebSocket = target.WebSocket;
  class WatchedWebSocket extends NativeWebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      const href = String(url);
      listener.opening(href);
      this.addEventListener("open", () => listener.open(href));
      this.addEventListener("close", (event) => listener.closed(href, event.code));
    }
  }
  target.WebSocket = WatchedWebSocket;
}
