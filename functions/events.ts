import type { RouteDefinition } from "./route-table-types";

/** Upstream CloudEvents trigger(s). Owned by F (issue 4); placeholder until it lands. */
export const eventsRoutes: RouteDefinition[] = [];
