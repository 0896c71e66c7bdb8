import type { ClusterCommand, Permission } from "./cluster/commands";

/**
 * What the REST data plane (and anything else outside the WebSocket core) may ask of the
 * service. Every answer covers the whole cluster: the node combines its own connections
 * with the other nodes' answers through the backplane.
 */
export interface ServiceApi {
  /** Applies the command to this node's connections and publishes it to the other nodes. */
  execute(hub: string, command: ClusterCommand): Promise<void>;
  connectionExists(hub: string, connectionId: string): Promise<boolean>;
  userExists(hub: string, userId: string): Promise<boolean>;
  /** True when the group has at least one connection. */
  groupExists(hub: string, group: string): Promise<boolean>;
  /** True when the user is a remembered member of the group or one of its connections is in it. */
  userInGroup(hub: string, userId: string, group: string): Promise<boolean>;
  /** Members of a group, cluster-wide, in a stable order (by connectionId) so paging is deterministic. */
  groupConnections(hub: string, group: string): Promise<Array<{ connectionId: string; userId: string | null }>>;
  hasPermission(hub: string, connectionId: string, permission: Permission, targetName?: string): Promise<boolean>;
}
