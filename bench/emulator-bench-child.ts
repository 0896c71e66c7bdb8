/**
 * The server side of bench/emulator-broadcast.ts, in its own process so client work and server
 * work don't share a core and memory per connection can be measured alone. Started with
 * `--expose-gc`; talks to the parent over IPC.
 *   argv[2] = "emulator" | "baseline"
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import * as wsModule from "ws";
import { WebSocketServer, type WebSocket } from "ws";
import { createServer } from "../emulator/src/server";

export type ChildRequest = { kind: "memory" } | { kind: "broadcast"; payload: string } | { kind: "count" };
export type ChildReply =
  | { kind: "ready"; port: number; connectionString?: string }
  | { kind: "memory"; rss: number; heapUsed: number; external: number; arrayBuffers: number }
  | { kind: "broadcasted" }
  | { kind: "count"; connections: number };

type FrameFn = (data: Buffer, options: { fin: boolean; rsv1: boolean; opcode: number; mask: boolean; readOnly: boolean }) => Buffer[];
const wsSender = (wsModule as unknown as { Sender: { frame: FrameFn } }).Sender;
const gc = (globalThis as { gc?: () => void }).gc;

function send(reply: ChildReply): void {
  process.send!(reply);
}

async function main(): Promise<void> {
  const mode = process.argv[2];
  const baselineClients = new Set<WebSocket>();
  if (mode === "emulator") {
    const server = await createServer({ port: 0, host: "127.0.0.1", publicHost: "127.0.0.1" });
    send({ kind: "ready", port: server.port, connectionString: server.connectionString });
  } else {
    // Plain ws: the same server settings, and a broadcast loop that frames once.
    const httpServer = http.createServer();
    const wss = new WebSocketServer({ server: httpServer, perMessageDeflate: false, clientTracking: false });
    wss.on("connection", (ws) => {
      baselineClients.add(ws);
      ws.on("close", () => baselineClients.delete(ws));
    });
    await new Promise<void>((resolve) => httpServer.listen(0, "127.0.0.1", resolve));
    send({ kind: "ready", port: (httpServer.address() as AddressInfo).port });
  }
  process.on("message", (request: ChildRequest) => {
    switch (request.kind) {
      case "memory": {
        gc?.();
        gc?.();
        const m = process.memoryUsage();
        send({ kind: "memory", rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers });
        return;
      }
      case "broadcast": {
        // The fastest plain loop: frame the message once (ws's own framing), write those bytes to every socket.
        const frame = Buffer.concat(wsSender.frame(Buffer.from(request.payload), { fin: true, rsv1: false, opcode: 1, mask: false, readOnly: false }));
        for (const ws of baselineClients) (ws as unknown as { _socket: Duplex })._socket.write(frame);
        send({ kind: "broadcasted" });
        return;
      }
      case "count":
        send({ kind: "count", connections: baselineClients.size });
        return;
    }
  });
  process.on("disconnect", () => process.exit(0));
}

void main();
