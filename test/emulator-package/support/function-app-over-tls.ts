/**
 * Run as a child process with NODE_EXTRA_CA_CERTS trusting the local service's certificate: the
 * function app's own service client (as its triggers build it from settings) negotiates and asks
 * the service over https. Prints one JSON line: the client URL's scheme and the answers.
 */
import { parseConfig } from "../../../shared/config";
import { createRealtimeService } from "../../../shared/realtime-service-factory";

async function main(): Promise<void> {
  const kind = process.env.KIND === "signalr" ? "signalr" : "webpubsub";
  // An https endpoint looks like a real deployment, where anonymous identity is refused unless
  // asked for; this is a local service on loopback.
  const config = parseConfig(
    kind === "signalr"
      ? { RealtimeService: "signalr", AzureSignalRConnectionString: process.env.CS, WebPubSubHub: "chat", IdentityMode: "anonymous", UnsafeAllowAnonymousIdentity: "true" }
      : { WebPubSubConnectionString: process.env.CS, WebPubSubHub: "chat", IdentityMode: "anonymous", UnsafeAllowAnonymousIdentity: "true" },
  );
  const service = createRealtimeService(config);
  const answer = await service.negotiate({ userId: "alice", groups: [], roles: [], lifetimeMinutes: 5 });
  const url = String(answer.url);
  console.log(JSON.stringify({ scheme: new URL(url).protocol, userExists: await service.userExists("alice") }));
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
