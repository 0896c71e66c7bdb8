import type { RouteDefinition } from "./route-table-types";

/** Routes serving the web test client. Owned by E (issue 5); placeholder until it lands. */
export const webRoutes: RouteDefinition[] = [];
