import type { HttpHandler, HttpMethod } from "@azure/functions";

/**
 * One HTTP trigger. `functions/index.ts` registers every entry with `app.http` (for `func start`
 * and Azure); the local host in `host/` serves the very same table without Core Tools.
 */
export interface RouteDefinition {
  name: string;
  methods: HttpMethod[];
  /** Route under the `/api` prefix, with `{param}` placeholders as in Functions. */
  route: string;
  authLevel: "anonymous" | "function" | "admin";
  handler: HttpHandler;
}
