/**
 * The local service in its own process for the hostile-input suite: small frame and body limits
 * (so oversized inputs are cheap to send) and an event handler for hub `fuzz` at argv[2], with no
 * retry delays (so failing handlers do not slow the run), and a 2 s recovery window (so the
 * reliable sessions the fuzzer cuts are gone soon after). Prints the URL and connection string,
 * and on SIGUSR2 its heap after a full collection. With `signalr` at argv[3] it is the SignalR face
 * instead, its upstream at `<argv[2]>/signalr/{hub}/{category}/{event}`.
 */
import { createServer, type ServiceServer } from "../../../emulator/src/server";
import { createUpstreamDispatcher } from "../../../emulator/src/upstream/http-upstream-dispatcher";
import { parseEventHandlerOption, settingsFromHandlers } from "../../../emulator/src/upstream/upstream-settings";
import { FUZZ_ACCESS_KEY, FUZZ_MAX_BODY_BYTES, FUZZ_MAX_FRAME_BYTES } from "./fuzz-limits";

const logger = { info: () => {}, warn: () => {}, error: (message: string) => console.error(`[service] error: ${message}`) };

async function main(): Promise<void> {
  const handlerUrl = process.argv[2]!;
  if (process.argv[3] === "signalr") return announce(await signalRService(handlerUrl));
  let origin = "localhost";
  const upstream = createUpstreamDispatcher({
    settings: settingsFromHandlers([parseEventHandlerOption(`fuzz=${handlerUrl}/{hub}/{event}`)]),
    accessKeys: [FUZZ_ACCESS_KEY],
    origin: () => origin,
    retryDelaysMs: [],
    requestTimeoutMs: 3000,
    closeGraceMs: 0,
  });
  const server = await createServer({
    port: 0,
    accessKey: FUZZ_ACCESS_KEY,
    maxClientFrameBytes: FUZZ_MAX_FRAME_BYTES,
    maxRestBodyBytes: FUZZ_MAX_BODY_BYTES,
    // Reliable sessions whose socket the fuzzer cut wait this long for recovery before they end.
    recoveryWindowMs: 2000,
    upstream,
    logger,
  });
  origin = new URL(server.url).host;
  announce(server);
}

function signalRService(handlerUrl: string): Promise<ServiceServer> {
  return createServer({
    port: 0,
    service: "signalr",
    accessKey: FUZZ_ACCESS_KEY,
    maxClientFrameBytes: FUZZ_MAX_FRAME_BYTES,
    maxRestBodyBytes: FUZZ_MAX_BODY_BYTES,
    // Held Long Polling polls answer within half a second, so the fuzzer can tell a held poll from a hung one.
    signalr: { upstream: [{ urlTemplate: `${handlerUrl}/signalr/{hub}/{category}/{event}` }], upstreamTimeoutMs: 3000, handshakeTimeoutMs: 2000, longPollTimeoutMs: 500 },
    logger,
  });
}

function announce(server: ServiceServer): void {
  console.log(server.url);
  console.log(server.connectionString);
  process.on("SIGTERM", () => void server.close().then(() => process.exit(0)));
  // The suite asks for what the process retains after a full collection (it runs with
  // --expose-gc): the JS heap plus external memory, where Buffers and socket data live.
  process.on("SIGUSR2", () => {
    (globalThis as { gc?: () => void }).gc?.();
    const { heapUsed, external } = process.memoryUsage();
    console.log(`heapUsed ${heapUsed + external}`);
  });
}

void main();
