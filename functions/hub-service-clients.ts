import { AppError, type ErrorCode } from "../shared/errors";
import { maxCachedHubClients } from "../shared/limits";

const hubPattern = /^[A-Za-z][A-Za-z0-9_`,.[\]]{0,127}$/;

/**
 * The service client for each hub the upstream triggers hear from. The hub name arrives in a
 * header that the service's signature does not cover (it signs the connection id only), so the
 * name is validated and the cache is bounded: the configured hub is always kept, others are
 * evicted least recently used first.
 */
export class HubServiceClients<Client> {
  readonly #others = new Map<string, Client>();

  constructor(
    private readonly configuredHub: string,
    private readonly configured: Client,
    private readonly create: (hub: string) => Client,
    private readonly limit = maxCachedHubClients,
    /** What a name no hub can have is answered with (the header that carried it differs by service). */
    private readonly invalidHub: { code: ErrorCode; message: string } = { code: "InvalidCloudEvent", message: "The ce-hub header is not a valid hub name." },
  ) {}

  /** The client for `hub`; throws the `invalidHub` error (a 400) for a name no hub can have. */
  get(hub: string): Client {
    if (!hubPattern.test(hub)) throw new AppError(this.invalidHub.code, this.invalidHub.message);
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
