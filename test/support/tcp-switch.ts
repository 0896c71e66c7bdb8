import { once } from "node:events";
import net from "node:net";

/**
 * A TCP proxy on port 0 that pipes every new client connection to the current `target` port: the
 * load balancer in front of the service pods, or a client's line that a test cuts. `crashTarget`
 * and `cutAll` destroy live connections as a crash or a network drop would (clients see 1006,
 * not a polite close).
 */
export class TcpSwitch {
  private readonly server = net.createServer((client) => this.route(client));
  private readonly open = new Map<net.Socket, number>();
  port = 0;
  /** How many client connections came through (2 after one cut and a reconnect). */
  accepted = 0;

  constructor(public target: number) {}

  async listen(): Promise<void> {
    this.server.listen(0, "127.0.0.1");
    await once(this.server, "listening");
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  crashTarget(port: number): void {
    for (const [socket, target] of this.open) if (target === port) socket.destroy();
  }

  cutAll(): void {
    for (const socket of this.open.keys()) socket.destroy();
  }

  async close(): Promise<void> {
    this.cutAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private route(client: net.Socket): void {
    this.accepted += 1;
    const target = this.target;
    const upstream = net.connect(target, "127.0.0.1");
    this.open.set(client, target);
    this.open.set(upstream, target);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      this.open.delete(client);
      this.open.delete(upstream);
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
