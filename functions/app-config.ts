import type { AppConfig } from "../shared/config";
import { parseConfig } from "../shared/config";
import { createServiceClient } from "../shared/service-client";
import type { TriggerDeps } from "./trigger-deps";

let deps: TriggerDeps | undefined;

/**
 * The app's one read of `process.env`: validated on first use (and at start by `index.ts`),
 * then kept. Throws an `AppError("InvalidSetting")` whose message names the bad setting.
 */
export function loadAppConfig(): AppConfig {
  return appDeps().config;
}

/** Config plus the service client every trigger shares. */
export function appDeps(): TriggerDeps {
  if (!deps) {
    const config = parseConfig(process.env);
    deps = Object.freeze({ config, service: createServiceClient(config) });
  }
  return deps;
}
