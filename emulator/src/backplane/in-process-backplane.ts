import { randomUUID } from "node:crypto";
import type { ClusterAnswer, ClusterCommand, ClusterQuery } from "../cluster/commands";
import type { Backplane, BackplaneNode } from "./backplane";

/**
 * A bus that several nodes in one process share. The default service gets a private bus,
 * which makes it a single node; tests join several nodes to one bus to exercise the cluster
 * logic without Redis.
 */
export class InProcessBus {
  private readonly members = new Set<InProcessBackplane>();

  createBackplane(nodeId: string = randomUUID()): InProcessBackplane {
    return new InProcessBackplane(this, nodeId);
  }

  /** @internal */
  join(member: InProcessBackplane): void {
    this.members.add(member);
  }

  /** @internal */
  leave(member: InProcessBackplane): void {
    this.members.delete(member);
  }

  /** @internal */
  others(self: InProcessBackplane): InProcessBackplane[] {
    return [...this.members].filter((m) => m !== self);
  }
}

export class InProcessBackplane implements Backplane {
  private node: BackplaneNode | undefined;

  constructor(
    private readonly bus: InProcessBus,
    readonly nodeId: string,
  ) {}

  async attach(node: BackplaneNode): Promise<void> {
    this.node = node;
    this.bus.join(this);
  }

  async publish(hub: string, command: ClusterCommand): Promise<void> {
    // Delivered on a later tick, like a real network hop, so callers never depend on re-entrancy.
    const targets = this.bus.others(this);
    if (targets.length === 0) return;
    await Promise.resolve();
    for (const other of targets) other.node?.applyRemoteCommand(hub, command);
  }

  async query(hub: string, query: ClusterQuery): Promise<ClusterAnswer[]> {
    const answers: ClusterAnswer[] = [];
    for (const other of this.bus.others(this)) {
      if (other.node) answers.push(other.node.answerQuery(hub, query));
    }
    return answers;
  }

  groupActivated(): void {}
  groupDeactivated(): void {}
  hubActivated(): void {}
  hubDeactivated(): void {}
  onError(): void {}

  async close(): Promise<void> {
    this.bus.leave(this);
    this.node = undefined;
  }
}
