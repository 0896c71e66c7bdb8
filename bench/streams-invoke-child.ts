/**
 * The service side of bench/streams-invoke.ts, in its own process so client work and service work
 * don't share a core: the local service with an event handler for hub `bench` at argv[2].
 * Talks to the parent over IPC: `ready` once listening, and its CPU time on request.
 * `BENCH_CPU_PROF=DIR` runs it under `node --cpu-prof` (see bench/cpu-profile-top.ts).
 */
import { createServer } from "../emulator/src/server";
import { DEFAULT_ACCESS_KEY } from "../emulator/src/options";
import { createUpstreamDispatcher } from "../emulator/src/upstream/http-upstream-dispatcher";
import { parseUpstreamSettings } from "../emulator/src/upstream/upstream-settings";

export type StreamsChildRequest = { kind: "cpu" } | { kind: "stop" };
export type StreamsChildReply = { kind: "ready"; port: number; connectionString: string } | { kind: "cpu"; userMs: number; systemMs: number };

async function main(): Promise<void> {
  const handlerUrl = process.argv[2];
  if (!handlerUrl) throw new Error("usage: streams-invoke-child.ts <event handler URL>");
  let origin = "";
  const upstream = createUpstreamDispatcher({
    settings: parseUpstreamSettings({ WebPubSub: { Hubs: { bench: { EventHandlers: [{ UrlTemplate: handlerUrl, EventPattern: "*", SystemEvents: [] }] } } } }),
    accessKeys: [DEFAULT_ACCESS_KEY],
    origin: () => origin,
    log: () => {},
  });
  const server = await createServer({ port: 0, host: "127.0.0.1", publicHost: "127.0.0.1", upstream, maxStreamsPerConnection: 100 });
  origin = new URL(server.url).host;
  process.send!({ kind: "ready", port: server.port, connectionString: server.connectionString } satisfies StreamsChildReply);
  process.on("message", (request: StreamsChildRequest) => {
    if (request.kind === "cpu") {
      const usage = process.cpuUsage();
      process.send!({ kind: "cpu", userMs: usage.user / 1000, systemMs: usage.system / 1000 } satisfies StreamsChildReply);
      return;
    }
    void server.close().then(() => process.exit(0));
  });
}

void main();
