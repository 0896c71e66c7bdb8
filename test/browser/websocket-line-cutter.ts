import { connect, createServer, type Server, type Socket } from "node:net";
import { once } from "node:events";

/**
 * A TCP relay in front of the local service that can cut every open line (as a network drop
 * would) and hold back new WebSocket upgrades for a while, so a client's recovery is observable.
 * Plain HTTP (the functions' REST calls) always passes.
 */
export class WebSocketLineCutter {
  private readonly server: Server;
  private readonly lines = new Set<Socket>();
  private blocking = false;
  acceptedUpgrades = 0;

  constructor(private readonly targetPort: number) {
    this.server = createServer((client) => this.relay(client));
  }

  async listen(): Promise<number> {
    this.server.listen(0);
    await once(this.server, "listening");
    return (this.server.address() as { port: number }).port;
  }

  /** Cuts every open line; while `blockUpgrades` is on, new WebSocket upgrades are dropped too. */
  cutAll(blockUpgrades: boolean): void {
    this.blocking = blockUpgrades;
    for (const socket of this.lines) socket.destroy();
    this.lines.clear();
  }

  resume(): void {
    this.blocking = false;
  }

  close(): Promise<void> {
    this.cutAll(false);
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private relay(client: Socket): void {
    client.on("error", () => client.destroy());
    client.once("data", (first: Buffer) => {
      const isUpgrade = /^upgrade:\s*websocket/im.test(first.toString("latin1"));
      if (isUpgrade && this.blocking) {
        client.destroy();
        return;
      }
      if (isUpgrade) this.acceptedUpgrades += 1;
      const upstream = connect(this.targetPort, "127.0.0.1");
      upstream.on("error", () => client.destroy());
      client.on("close", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
      this.lines.add(client).add(upstream);
      client.on("close", () => this.lines.delete(client));
      upstream.on("close", () => this.lines.delete(upstream));
      upstream.write(first);
      client.pipe(upstream);
      upstream.pipe(client);
    });
  }
}
