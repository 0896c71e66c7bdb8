import net from "node:net";
import { freePort } from "../../scripts/free-port";

// The process helpers live with `npm start`, which runs a redis-server for `--redis` alone.
export { startRedisServer, waitForRedis, type RedisServerProcess } from "../../host/redis-server-process";
export { freePort };

/** Sends one command over a raw RESP connection and resolves with the first reply line (no client library). */
export function redisCommand(port: number, args: Array<string | Buffer>): Promise<string> {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = typeof arg === "string" ? Buffer.from(arg, "utf8") : arg;
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from("\r\n"));
  }
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    let reply = "";
    socket.on("connect", () => socket.write(Buffer.concat(parts)));
    socket.on("data", (chunk) => {
      reply += chunk.toString("latin1");
      const end = reply.indexOf("\r\n");
      if (end >= 0) {
        socket.destroy();
        resolve(reply.slice(0, end));
      }
    });
    socket.on("error", reject);
  });
}
