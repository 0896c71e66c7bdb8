import type { Backplane, BackplaneNode } from "../../emulator/src/backplane/backplane";
import type { ClusterAnswer, ClusterCommand, ClusterQuery } from "../../emulator/src/cluster/commands";

/**
 * A service node reduced to what a backplane sees: it records the commands other nodes send it
 * and answers queries from a fixed set of connections it "holds".
 */
export class RecordingNode implements BackplaneNode {
  readonly received: Array<{ hub: string; command: ClusterCommand }> = [];
  readonly connections = new Set<string>();
  private waiters: Array<{ count: number; resolve: () => void }> = [];

  constructor(readonly backplane: Backplane) {}

  applyRemoteCommand(hub: string, command: ClusterCommand): void {
    this.received.push({ hub, command });
    this.waiters = this.waiters.filter((w) => {
      if (this.received.length < w.count) return true;
      w.resolve();
      return false;
    });
  }

  answerQuery(_hub: string, query: ClusterQuery): ClusterAnswer {
    switch (query.kind) {
      case "connectionExists":
        return { kind: "boolean", value: this.connections.has(query.connectionId) };
      case "userExists":
      case "groupExists":
      case "hasPermission":
      case "userInGroup":
        return { kind: "boolean", value: false };
      case "groupConnections":
        return { kind: "connections", value: [...this.connections].map((connectionId) => ({ connectionId, userId: null })) };
      case "usage":
        return { kind: "usage", value: { node: this.backplane.nodeId } };
      case "groupState":
        return { kind: "groupState", value: [] };
      default: {
        const _never: never = query;
        return _never;
      }
    }
  }

  /** Resolves once this node has received `count` commands in total (fails the test by timeout otherwise). */
  receivedCount(count: number): Promise<void> {
    if (this.received.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }
}
