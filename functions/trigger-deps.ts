import type { AppConfig } from "../shared/config";
import type { RealtimeService } from "../shared/realtime-service";

/** What every trigger needs, injected so tests can point triggers at their own service. */
export interface TriggerDeps {
  readonly config: AppConfig;
  /** The managed service (Web PubSub or SignalR), behind one interface. */
  readonly service: RealtimeService;
}
