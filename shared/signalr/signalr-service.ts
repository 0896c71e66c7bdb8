import type { AppConfig } from "../config";
import { AppError } from "../errors";
import type { CloseOptions, RealtimeService } from "../realtime-service";
import type { SendTarget } from "../send-request";
import { toHubInvocation, unsupported } from "./signalr-invocation";
import { createSignalRRestClient, type SignalRRestCall, type SignalRRestClient, type SignalRRestRequest } from "./signalr-rest-client";
import { createSignalRTokenSigner, type SignalRTokenSigner } from "./signalr-tokens";

type SignalRServiceConfig = Pick<AppConfig, "endpoint" | "clientEndpoint" | "accessKeyObject" | "hub">;

const segment = encodeURIComponent;

/**
 * The seam over Azure SignalR Service in serverless mode: negotiate answers the SignalR
 * connection-info shape `{ url, accessToken }`, and every other call is one data-plane REST call.
 */
export function createSignalRService(config: SignalRServiceConfig): RealtimeService {
  const signer = createSignalRTokenSigner(config.accessKeyObject);
  return hubService(config, config.hub, signer, createSignalRRestClient({ endpoint: config.endpoint, signer }));
}

/** One hub's face of the seam; every hub shares the signer and the REST client's agent. */
function hubService(config: SignalRServiceConfig, hub: string, signer: SignalRTokenSigner, rest: SignalRRestClient): RealtimeService {
  const call: SignalRRestCall = rest.forHub(hub);
  const hubQuery = `?hub=${segment(hub.toLowerCase())}`;
  const clientUrl = `${config.clientEndpoint}client/${hubQuery}`;

  /** A call whose 404 means "no such connection": the caller gets 404, not 502. */
  const onConnection = async (connectionId: string, request: SignalRRestRequest): Promise<void> => {
    const { status } = await call(request);
    if (status === 404) throw new AppError("ConnectionNotFound", `Connection ${JSON.stringify(connectionId)} does not exist.`);
  };
  const exists = async (path: string): Promise<boolean> => (await call({ method: "HEAD", path })).status !== 404;
  const done = async (request: SignalRRestRequest): Promise<void> => {
    const { status, errorCode } = await call(request);
    if (status === 404) throw new AppError("ServiceError", `Azure SignalR Service answered 404 ${errorCode ?? "Http404"}.`, { serviceStatus: 404, serviceCode: errorCode ?? "Http404" });
  };
  const reason = (options: CloseOptions): [string, string][] => (options.reason === undefined ? [] : [["reason", options.reason]]);

  const service: RealtimeService = {
    kind: "signalr",
    hub,
    forHub: (other) => (other.toLowerCase() === hub.toLowerCase() ? service : hubService(config, other, signer, rest)),
    negotiate: async (request) => {
      if (request.groups.length > 0) {
        throw unsupported("group", "?group= at negotiate is not supported by Azure SignalR Service (its tokens carry no groups); add the connection with PUT /api/groups/{group}/connections/{connectionId}.");
      }
      if (request.roles.length > 0) throw unsupported("role", "?role= is not supported by Azure SignalR Service (its clients have no roles).");
      // The audience is the client URL the service checks by path; the service SDK drops the port, the docs keep it.
      const accessToken = signer.clientToken(clientUrl, request.userId, request.lifetimeMinutes * 60);
      return { url: clientUrl, accessToken };
    },
    send: async (target, payload, options) => {
      const body = toHubInvocation(payload, options);
      const excluded = options.excluded.map((id): [string, string] => ["excluded", id]);
      await done({ method: "POST", path: sendPath(target), query: excluded, body });
    },
    addConnectionToGroup: (group, connectionId) => onConnection(connectionId, { method: "PUT", path: `/groups/${segment(group)}/connections/${segment(connectionId)}` }),
    removeConnectionFromGroup: (group, connectionId) =>
      onConnection(connectionId, { method: "DELETE", path: `/groups/${segment(group)}/connections/${segment(connectionId)}` }),
    addUserToGroup: (group, userId) => done({ method: "PUT", path: `/users/${segment(userId)}/groups/${segment(group)}` }),
    // No filtered membership call in SignalR's REST API: the caller's own user is what can be proven.
    setOwnGroupMembership: (group, _connectionId, userId, join) =>
      done(join ? { method: "PUT", path: `/users/${segment(userId)}/groups/${segment(group)}` } : { method: "DELETE", path: `/users/${segment(userId)}/groups/${segment(group)}` }),
    removeUserFromGroup: (group, userId) => done({ method: "DELETE", path: `/users/${segment(userId)}/groups/${segment(group)}` }),
    removeUserFromAllGroups: (userId) => done({ method: "DELETE", path: `/users/${segment(userId)}/groups` }),
    removeConnectionFromAllGroups: (connectionId) => onConnection(connectionId, { method: "DELETE", path: `/connections/${segment(connectionId)}/groups` }),
    closeConnection: (connectionId, options) => onConnection(connectionId, { method: "DELETE", path: `/connections/${segment(connectionId)}`, query: reason(options) }),
    closeAllConnections: (options) => done({ method: "POST", path: "/:closeConnections", query: reason(options) }),
    closeUserConnections: (userId, options) => done({ method: "POST", path: `/users/${segment(userId)}/:closeConnections`, query: reason(options) }),
    closeGroupConnections: (group, options) => done({ method: "POST", path: `/groups/${segment(group)}/:closeConnections`, query: reason(options) }),
    connectionExists: (connectionId) => exists(`/connections/${segment(connectionId)}`),
    userExists: (userId) => exists(`/users/${segment(userId)}`),
    groupExists: (group) => exists(`/groups/${segment(group)}`),
    groupMembersPage: async () => {
      // Listing a group's connections arrived in the 2024-12-01 data-plane API; this client speaks 2022-06-01.
      throw unsupported("members", "Listing a group's members is not supported with Azure SignalR Service here (its 2022-06-01 REST API has no such call); use GET /api/groups/{group} to check that a group has a connection.");
    },
  };
  return Object.freeze(service);
}

function sendPath(target: SendTarget): string {
  switch (target.kind) {
    case "all":
      return "/:send";
    case "user":
      return `/users/${segment(target.userId)}/:send`;
    case "connection":
      return `/connections/${segment(target.connectionId)}/:send`;
    case "group":
      return `/groups/${segment(target.group)}/:send`;
    default: {
      const _never: never = target;
      throw new Error(`unknown target ${JSON.stringify(_never)}`);
    }
  }
}
