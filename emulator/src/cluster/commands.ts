/**
 * The operations one service node asks of every node in the cluster.
 *
 * Every delivery and membership change in the service is expressed as a `ClusterCommand`.
 * The node that receives a REST call or a client frame applies the command to its own
 * connections and publishes it through the backplane; every other node applies it to theirs.
 * A node only ever touches the connections it holds, so no state is shared but these messages.
 */

export type DataType = "json" | "text" | "binary";

/** A data message on its way to clients. `data` is the payload bytes (UTF-8 for json/text). */
export interface OutboundData {
  /** `server` for REST sends and upstream responses, `group` for client sendToGroup. */
  from: "server" | "group";
  group?: string;
  fromUserId?: string | null;
  dataType: DataType;
  /** Raw payload: for json, the JSON token's UTF-8 bytes; for text, UTF-8; for binary, the bytes. Base64 on the wire of JSON protocols. */
  data: Uint8Array;
  /** Absolute expiry (ms since epoch) from `messageTtlSeconds`; undefined means no expiry. */
  expiresAt?: number;
  /**
   * Set by faces whose messages are method calls (SignalR): the client method to invoke. `data`
   * is then the JSON arguments array and each face frames the call in its own protocol.
   */
  invocationTarget?: string;
  /** Set on the fragments and the terminal frame of a group stream. */
  stream?: StreamInfo;
}

/** Where a group message sits in its stream, as receivers see it. */
export interface StreamInfo {
  streamId: string;
  streamSequenceId: number;
  /** Only on the terminal frame, which carries no data. */
  endOfStream?: true;
  /** Only on a terminal frame that ends the stream with an error. */
  error?: { name: StreamEndErrorName; message: string; userErrorCode?: string };
}

/** How receivers learn a stream ended badly: its publisher said so (`UserError`) or the service ended it. */
export type StreamEndErrorName = "UserError" | "IdleTimeout" | "Cancelled" | "Forbidden" | "BadRequest" | "InternalServerError";

/** One connection's state in a group; no `state` means it was cleared or the connection left. */
export interface GroupStateItem {
  connectionId: string;
  userId?: string;
  state?: Record<string, string>;
  /** Server time, Unix ms, strictly increasing per connection. */
  updatedAt: number;
}

export type DeliveryTarget =
  | { kind: "all"; excluded?: string[]; filter?: string }
  | { kind: "user"; userId: string; filter?: string }
  | { kind: "connection"; connectionId: string }
  | { kind: "group"; group: string; excluded?: string[]; filter?: string };

export type CloseTarget =
  | { kind: "all"; excluded?: string[] }
  | { kind: "user"; userId: string; excluded?: string[] }
  | { kind: "connection"; connectionId: string }
  | { kind: "group"; group: string; excluded?: string[] };

export type Permission = "sendToGroup" | "joinLeaveGroup";

export type ClusterCommand =
  | { kind: "deliver"; target: DeliveryTarget; message: OutboundData }
  | { kind: "addConnectionToGroup"; connectionId: string; group: string }
  | { kind: "removeConnectionFromGroup"; connectionId: string; group: string }
  | { kind: "removeConnectionFromAllGroups"; connectionId: string }
  /**
   * `remember` also applies the membership to the user's future connections on every node that
   * holds the hub, until `expiresAt` (ms since epoch) or without expiry when null. Absent: only the
   * user's current connections join.
   */
  | { kind: "addUserToGroup"; userId: string; group: string; remember?: { expiresAt: number | null } }
  | { kind: "removeUserFromGroup"; userId: string; group: string }
  | { kind: "removeUserFromAllGroups"; userId: string }
  /** `filter` empty or absent selects every connection (as Microsoft's emulator does). */
  | { kind: "addToGroupsByFilter"; groups: string[]; filter?: string }
  | { kind: "removeFromGroupsByFilter"; groups: string[]; filter?: string }
  | { kind: "close"; target: CloseTarget; reason?: string }
  | { kind: "grantPermission"; connectionId: string; permission: Permission; targetName?: string }
  | { kind: "revokePermission"; connectionId: string; permission: Permission; targetName?: string }
  /** Connections' states in a group changed: each node tells its connections subscribed to the group's state. */
  | { kind: "groupStateChanged"; group: string; items: GroupStateItem[] };

/** Questions whose answer needs every node: each node answers for its own connections. */
export type ClusterQuery =
  | { kind: "connectionExists"; connectionId: string }
  | { kind: "userExists"; userId: string }
  | { kind: "groupExists"; group: string }
  | { kind: "groupConnections"; group: string }
  /** The user is a remembered member of the group, or one of its connections is in it. */
  | { kind: "userInGroup"; userId: string; group: string }
  | { kind: "hasPermission"; connectionId: string; permission: Permission; targetName?: string }
  /** Usage counters of this node; answered with a JSON-serialisable snapshot. */
  | { kind: "usage" }
  /** The states this node's connections hold in a group. */
  | { kind: "groupState"; group: string };

export type ClusterAnswer =
  | { kind: "boolean"; value: boolean }
  | { kind: "connections"; value: Array<{ connectionId: string; userId: string | null }> }
  | { kind: "usage"; value: unknown }
  | { kind: "groupState"; value: GroupStateItem[] };
