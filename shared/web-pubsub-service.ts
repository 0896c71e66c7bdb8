import type { WebPubSubServiceClient } from "@azure/web-pubsub";
import { issueClientToken } from "./client-token";
import type { AppConfig } from "./config";
import { AppError } from "./errors";
import { deliverMessage } from "./message-delivery";
import type { RealtimeService } from "./realtime-service";
import { createServiceClient } from "./service-client";
import { webPubSubPresence } from "./web-pubsub-presence";

type WebPubSubServiceConfig = Pick<AppConfig, "connectionString" | "endpoint" | "accessKeyObject" | "hub" | "serviceMaxRetries">;

/**
 * The seam over Azure Web PubSub, through the official SDK `@azure/web-pubsub`. SDK failures
 * surface as its `RestError`, which the triggers' `callService` maps to 502s.
 */
export function createWebPubSubService(config: WebPubSubServiceConfig, client: WebPubSubServiceClient = createServiceClient(config)): RealtimeService {
  const presence = webPubSubPresence(client);
  const service: RealtimeService = {
    kind: "webpubsub",
    hub: config.hub,
    forHub: (hub) => (hub.toLowerCase() === config.hub.toLowerCase() ? service : createWebPubSubService({ ...config, hub })),
    negotiate: async (request) => ({ ...(await issueClientToken(client, request)) }),
    send: async (target, payload, options) => {
      if (options.clientMethod !== undefined) {
        throw new AppError("UnsupportedOption", "?target= names a SignalR client method; Web PubSub messages have none, so leave it out.", { option: "target" });
      }
      await deliverMessage(client, target, payload, options);
    },
    addConnectionToGroup: async (group, connectionId) => {
      try {
        await client.group(group).addConnection(connectionId);
      } catch (error) {
        // The service answers 404 for a connection it does not know: the caller's 404, not a failure of the service.
        if (error instanceof Error && error.name === "RestError" && (error as { statusCode?: number }).statusCode === 404) {
          throw new AppError("ConnectionNotFound", `Connection ${JSON.stringify(connectionId)} does not exist.`);
        }
        throw error;
      }
    },
    removeConnectionFromGroup: (group, connectionId) => client.group(group).removeConnection(connectionId),
    setOwnGroupMembership: async (group, connectionId, userId, join) => {
      // The service applies the filter atomically: only a connection that is this user's changes.
      const filter = `connectionId eq ${odataString(connectionId)} and userId eq ${odataString(userId)}`;
      if (join) await client.addConnectionsToGroups([group], filter);
      else await client.removeConnectionsFromGroups([group], filter);
    },
    addUserToGroup: (group, userId) => client.group(group).addUser(userId),
    removeUserFromGroup: (group, userId) => client.group(group).removeUser(userId),
    removeUserFromAllGroups: (userId) => client.removeUserFromAllGroups(userId),
    removeConnectionFromAllGroups: (connectionId) => client.removeConnectionFromAllGroups(connectionId),
    closeConnection: (connectionId, options) => client.closeConnection(connectionId, options),
    closeAllConnections: (options) => client.closeAllConnections(options),
    closeUserConnections: (userId, options) => client.closeUserConnections(userId, options),
    closeGroupConnections: (group, options) => client.group(group).closeAllConnections(options),
    connectionExists: (connectionId) => client.connectionExists(connectionId),
    userExists: (userId) => client.userExists(userId),
    groupExists: (group) => client.groupExists(group),
    groupMembersPage: (group, request) => presence.groupMembersPage(group, request),
  };
  return Object.freeze(service);
}

/** An OData string literal: single quotes, a quote inside doubled. */
function odataString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}
