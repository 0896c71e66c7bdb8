/**
 * One service node of bench/scale-out.ts in its own process, as a pod would be: joins the Redis
 * given in argv[2] and reports `{ kind: "ready", connectionString }` to the parent over IPC.
 * Stops when the parent disconnects.
 */
import { RedisBackplane } from "../emulator/src/backplane/redis-backplane";
import { createServer } from "../emulator/src/server";

export interface ScaleOutNodeReady {
  kind: "ready";
  connectionString: string;
}

async function main(): Promise<void> {
  const [redisUrl, nodeId] = [process.argv[2]!, process.argv[3]!];
  const server = await createServer({ port: 0, host: "127.0.0.1", backplane: new RedisBackplane({ url: redisUrl, nodeId, channelPrefix: "bench" }) });
  process.send!({ kind: "ready", connectionString: server.connectionString } satisfies ScaleOutNodeReady);
  process.on("disconnect", () => {
    void server.close().then(() => process.exit(0));
  });
}

main().catch((error: unknown) => {
  console.error(`scale-out bench node failed: ${(error as Error).message}`);
  process.exit(1);
});
