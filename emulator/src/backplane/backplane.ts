import type { ClusterAnswer, ClusterCommand, ClusterQuery } from "../cluster/commands";

/** What a node exposes to its backplane: how to apply other nodes' commands and answer their queries. */
export interface BackplaneNode {
  applyRemoteCommand(hub: string, command: ClusterCommand): void;
  answerQuery(hub: string, query: ClusterQuery): ClusterAnswer;
}

/**
 * Links the service nodes of a cluster. The node itself applies every command to its own
 * connections first; the backplane only carries it to the *other* nodes. Publishing never
 * throws: when the link is down, local delivery keeps working and the error is reported
 * through `onError`.
 */
export interface Backplane {
  /** Unique id of this node; carried on every message so a node ignores its own echo. */
  readonly nodeId: string;
  /** Connects the backplane to its node. Called once by the service before it listens. */
  attach(node: BackplaneNode): Promise<void>;
  /** Carries a command to every other node holding connections of `hub`. */
  publish(hub: string, command: ClusterCommand): Promise<void>;
  /** Asks every other node; resolves with their answers (an unreachable node simply does not answer). */
  query(hub: string, query: ClusterQuery): Promise<ClusterAnswer[]>;
  /** This node now holds at least one connection of `group` (lets a backplane subscribe per group). */
  groupActivated(hub: string, group: string): void;
  /** This node no longer holds any connection of `group`. */
  groupDeactivated(hub: string, group: string): void;
  /** This node now holds connections of `hub`. */
  hubActivated(hub: string): void;
  /** This node no longer holds connections of `hub`. */
  hubDeactivated(hub: string): void;
  /** Errors of the link itself (never of a delivery); the node logs them and counts them in metrics. */
  onError(listener: (error: Error) => void): void;
  close(): Promise<void>;
}
