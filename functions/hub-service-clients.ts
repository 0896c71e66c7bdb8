import type { WebPubSubServiceClient } from "@azure/web-pubsub";
import { AppError } from "../shared/errors";
import { maxCachedHubClients } from "../shared/limits";

const hubPattern = /^[A-Za-z][A-Za-z0-9_`,.[\]]{0,127}$/;

/**
 * The service client for each hub the events trigger hears from. `ce-hub` is not covered by the
 * event's signature (that signs the connection id only), so the name is validated and the cache is
 * bounded: the configured hub is always kept, others are evicted least recently used first.
 */
export class HubServiceClients {
  readonly #others = new Map<string, WebPubSubServiceClient>();

  constructor(
    private readonly configuredHub: string,
    private readonly configured: WebPubSubServiceClient,
    private readonly create: (hub: string) => WebPubSubServiceClient,
    private readonly limit = maxCachedHubClients,
  ) {}

  /** The client for `hub`; throws `InvalidCloudEvent` (400) for a name no hub can have. */
  get(hub: string): WebPubSubServiceClient {
    if (!hubPattern.test(hub)) throw new AppError("InvalidCloudEvent", "The ce-hub header is not a valid hub name.");
    const key = hub.toLowerCase();
    if (key === this.configuredHub.toLowerCase()) return this.configured;
    let client = this.#others.get(key);
    if (client) {
      this.#others.delete(key); // re-inserted below: most recently used last
    } else {
      client = this.create(hub);
      if (this.#others.size >= this.limit) this.#others.delete(this.#others.keys().next().value!);
    }
    this.#others.set(key, client);
    return client;
  }

  /** How many clients besides the configured hub's are cached. */
  get size(): number {
    return this.#others.size;
  }
}
