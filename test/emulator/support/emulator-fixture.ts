import { WebPubSubServiceClient } from "@azure/web-pubsub";
import { WebSocket } from "ws";
import { createServer, type ServiceServer } from "../../../emulator/src/server";
import type { ServiceOptions } from "../../../emulator/src/options";

/** Servers and sockets a suite opened; `cleanup()` in afterEach closes them all. */
export class EmulatorFixture {
  private readonly servers: ServiceServer[] = [];
  private readonly sockets: WebSocket[] = [];
  private readonly closers: Array<() => unknown> = [];

  async start(options: ServiceOptions = {}): Promise<ServiceServer> {
    const server = await createServer({ port: 0, ...options });
    this.servers.push(server);
    return server;
  }

  serviceClient(server: ServiceServer, hub = "hub1"): WebPubSubServiceClient {
    return new WebPubSubServiceClient(server.connectionString, hub, { allowInsecureConnection: true });
  }

  /** A client URL signed by the official SDK. */
  async clientUrl(server: ServiceServer, hub: string, options: { userId?: string; roles?: string[]; groups?: string[] } = {}): Promise<string> {
    const token = await this.serviceClient(server, hub).getClientAccessToken(options);
    return token.url;
  }

  /** Opens a raw `ws` socket and waits for it to open (or rejects with the refusal). */
  async openSocket(url: string, protocols?: string | string[]): Promise<OpenSocket> {
    const socket = new WebSocket(url, protocols, { perMessageDeflate: false });
    this.sockets.push(socket);
    const inbox = new SocketInbox(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("error", reject);
    });
    return { socket, inbox };
  }

  onCleanup(close: () => unknown): void {
    this.closers.push(close);
  }

  async cleanup(): Promise<void> {
    for (const close of this.closers.splice(0)) await close();
    for (const socket of this.sockets.splice(0)) socket.terminate();
    await Promise.all(this.servers.splice(0).map((s) => s.close()));
  }
}

export interface OpenSocket {
  socket: WebSocket;
  inbox: SocketInbox;
}

export interface ReceivedFrame {
  data: Buffer;
  isBinary: boolean;
}

/** Collects frames and the close event of a socket, and lets a test await the next ones. */
export class SocketInbox {
  readonly frames: ReceivedFrame[] = [];
  closed: { code: number; reason: string } | undefined;
  private waiters: Array<() => void> = [];

  constructor(socket: WebSocket) {
    socket.on("message", (data, isBinary) => {
      this.frames.push({ data: Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer), isBinary });
      this.wake();
    });
    socket.on("close", (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.wake();
    });
    socket.on("error", () => {});
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  async until<T>(check: () => T | undefined, timeoutMs = 5000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = check();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error("timed out waiting on a socket");
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits until `count` frames arrived, returns them. */
  async frameCount(count: number): Promise<ReceivedFrame[]> {
    return this.until(() => (this.frames.length >= count ? this.frames.slice(0, count) : undefined));
  }

  /** JSON frames parsed. */
  json(): Array<Record<string, unknown>> {
    return this.frames.map((f) => JSON.parse(f.data.toString("utf8")) as Record<string, unknown>);
  }

  async jsonWhere(predicate: (frame: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
    return this.until(() => this.json().find(predicate));
  }

  async closeEvent(): Promise<{ code: number; reason: string }> {
    return this.until(() => this.closed);
  }
}
