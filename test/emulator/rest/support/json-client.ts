import type { WebPubSubServiceClient } from "@azure/web-pubsub";
import WebSocket from "ws";

export type Frame = Record<string, unknown>;

/**
 * A real WebSocket client on `json.webpubsub.azure.v1`, connected with a token from the SDK's
 * `getClientAccessToken`. Keeps every frame it receives so tests can assert exactly what arrived.
 */
export class JsonClient {
  readonly frames: Frame[] = [];
  connectionId = "";
  closed: Promise<{ code: number; reason: string }>;
  private waiters: Array<{ match: (f: Frame) => boolean; resolve: (f: Frame) => void }> = [];
  private ackId = 0;

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => ws.once("close", (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on("message", (data) => {
      const frame = JSON.parse(data.toString()) as Frame;
      this.frames.push(frame);
      for (const w of [...this.waiters]) {
        if (w.match(frame)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(frame);
        }
      }
    });
  }

  static async connect(service: WebPubSubServiceClient, options: { userId?: string; roles?: string[]; groups?: string[] } = {}): Promise<JsonClient> {
    const { url } = await service.getClientAccessToken(options);
    return JsonClient.connectUrl(url);
  }

  static async connectUrl(url: string): Promise<JsonClient> {
    const client = new JsonClient(new WebSocket(url, "json.webpubsub.azure.v1"));
    const connected = await client.next((f) => f.type === "system" && f.event === "connected");
    client.connectionId = connected.connectionId as string;
    return client;
  }

  next(match: (f: Frame) => boolean): Promise<Frame> {
    const seen = this.frames.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }

  /** Server messages received so far, without the sentinel used as a barrier. */
  serverMessages(): Frame[] {
    return this.frames.filter((f) => f.type === "message" && f.data !== BARRIER);
  }

  async joinGroup(group: string): Promise<Frame> {
    const ackId = ++this.ackId;
    this.ws.send(JSON.stringify({ type: "joinGroup", group, ackId }));
    return this.next((f) => f.type === "ack" && f.ackId === ackId);
  }

  close(): void {
    this.ws.close();
  }
}

export const BARRIER = "barrier";

/**
 * Deliveries to one connection keep their order, so once every client has the sentinel sent
 * after the message under test, anything that was going to arrive has arrived.
 */
export async function barrier(service: WebPubSubServiceClient, clients: JsonClient[]): Promise<void> {
  for (const c of clients) {
    await service.sendToConnection(c.connectionId, BARRIER, { contentType: "text/plain" });
  }
  await Promise.all(clients.map((c) => c.next((f) => f.type === "message" && f.data === BARRIER)));
}
