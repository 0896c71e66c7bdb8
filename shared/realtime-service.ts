import type { PresenceSource } from "./group-presence";
import type { MessagePayload } from "./message-payload";
import type { SendOptions, SendTarget } from "./send-request";

/** Which managed service holds the sockets: the app setting `RealtimeService`. */
export type RealtimeServiceKind = "webpubsub" | "signalr";

export const realtimeServiceKinds: readonly RealtimeServiceKind[] = Object.freeze(["webpubsub", "signalr"]);

/** What negotiate asks the service for, after identity and the grant policy have decided. */
export interface ClientAccessRequest {
  userId: string;
  /** Groups the connection joins at connect (already allowed by the grant policy). */
  groups: readonly string[];
  /** Web PubSub roles (already allowed by the grant policy). */
  roles: readonly string[];
  lifetimeMinutes: number;
}

export interface CloseOptions {
  /** Shown to the closed clients. */
  reason?: string;
}

/**
 * The one seam between the triggers and the managed service. Every trigger calls this, never an
 * SDK or a REST path; `web-pubsub-service.ts` and `signalr/signalr-service.ts` implement it. Failures
 * are `AppError`s (or SDK errors that `toServiceFailure` maps): an option the service cannot honour
 * is a 400 naming it, never silently dropped. Presence (`groupMembersPage`, `userExists`) is part of
 * it, so the presence triggers read the same seam.
 */
export interface RealtimeService extends PresenceSource {
  readonly kind: RealtimeServiceKind;
  readonly hub: string;
  /** The same service on another hub (upstream events arrive for any hub). */
  forHub(hub: string): RealtimeService;
  /** The negotiate response body the service's own clients expect. */
  negotiate(request: ClientAccessRequest): Promise<Record<string, unknown>>;
  /** One message to one target (a user, a connection, a group, or every connection of the hub). */
  send(target: SendTarget, payload: MessagePayload, options: SendOptions): Promise<void>;
  addConnectionToGroup(group: string, connectionId: string): Promise<void>;
  /**
   * Joins or leaves a group for a caller who names one of their own connections, acting only if
   * the service itself says the connection is the caller's: the client's word is never taken.
   * Web PubSub: one membership call filtered on `connectionId` and `userId` (another user's
   * connection is left as it is). SignalR Service has no such filter, so the call acts on the
   * caller's user: every connection of theirs joins or leaves, and a connection id names nothing.
   */
  setOwnGroupMembership(group: string, connectionId: string, userId: string, join: boolean): Promise<void>;
  removeConnectionFromGroup(group: string, connectionId: string): Promise<void>;
  addUserToGroup(group: string, userId: string): Promise<void>;
  removeUserFromGroup(group: string, userId: string): Promise<void>;
  removeUserFromAllGroups(userId: string): Promise<void>;
  removeConnectionFromAllGroups(connectionId: string): Promise<void>;
  closeConnection(connectionId: string, options: CloseOptions): Promise<void>;
  closeAllConnections(options: CloseOptions): Promise<void>;
  closeUserConnections(userId: string, options: CloseOptions): Promise<void>;
  closeGroupConnections(group: string, options: CloseOptions): Promise<void>;
  connectionExists(connectionId: string): Promise<boolean>;
  userExists(userId: string): Promise<boolean>;
  groupExists(group: string): Promise<boolean>;
}
