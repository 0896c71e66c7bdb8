/**
 * The server side of bench/signalr-broadcast.ts: one local service (Web PubSub or SignalR face)
 * in its own process, so client work and server work don't share a core.
 *   argv[2] = "webpubsub" | "signalr"; argv[3] (signalr) = WebSocket fragment bytes, 2048 when absent
 */
import { createServer } from "../emulator/src/server";

export type SignalRBenchReply = { kind: "ready"; port: number } | { kind: "cpu"; micros: number };

async function main(): Promise<void> {
  const service = process.argv[2] === "signalr" ? "signalr" : "webpubsub";
  const fragment = process.argv[3] === undefined ? undefined : Number(process.argv[3]);
  const server = await createServer({ service, port: 0, host: "127.0.0.1", publicHost: "127.0.0.1", ...(fragment === undefined ? {} : { signalr: { webSocketFragmentBytes: fragment } }) });
  process.send!({ kind: "ready", port: server.port } satisfies SignalRBenchReply);
  // CPU time of the service process: unlike wall-clock rates, not moved by other work on the machine.
  process.on("message", () => {
    const { user, system } = process.cpuUsage();
    process.send!({ kind: "cpu", micros: user + system } satisfies SignalRBenchReply);
  });
  process.on("disconnect", () => process.exit(0));
}

void main();
