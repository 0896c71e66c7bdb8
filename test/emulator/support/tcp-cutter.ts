import net from "node:net";

/** Forwards TCP to `target`; `cutAll()` destroys every live connection (a network drop). */
export class TcpCutter {
  private readonly live = new Set<net.Socket>();
  private server: net.Server | undefined;
  port = 0;
  /** How many client connections came through (2 after one cut and a reconnect). */
  accepted = 0;

  async listen(targetPort: number): Promise<number> {
    this.server = net.createServer((client) => {
      this.accepted += 1;
      const upstream = net.connect(targetPort, "127.0.0.1");
      this.live.add(client).add(upstream);
      const drop = (): void => {
        client.destroy();
        upstream.destroy();
        this.live.delete(client);
        this.live.delete(upstream);
      };
      client.on("error", drop).on("close", drop);
      upstream.on("error", drop).on("close", drop);
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.port = (this.server!.address() as net.AddressInfo).port;
    return this.port;
  }

  cutAll(): void {
    for (const socket of [...this.live]) socket.destroy();
    this.live.clear();
  }

  async close(): Promise<void> {
    this.cutAll();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
