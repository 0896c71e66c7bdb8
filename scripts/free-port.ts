import { once } from "node:events";
import net from "node:net";

/**
 * A loopback port that was free a moment ago (listen on 0, read it, close). For starting
 * child processes that must be told their port up front: demos, benchmarks and tests.
 */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as net.AddressInfo;
  server.close();
  await once(server, "close");
  return port;
}
