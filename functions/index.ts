import { app } from "@azure/functions";
import { loadAppConfig } from "./app-config";
import { routes } from "./routes";

for (const route of routes) {
  app.http(route.name, { methods: route.methods, route: route.route, authLevel: route.authLevel, handler: route.handler });
}

// Validate the settings when the host starts, so a bad setting fails loudly and names itself
// instead of surfacing on the first request. (Requiring this file alone reads no settings.)
app.hook.appStart(() => {
  loadAppConfig();
});
