import type { Backplane } from "../backplane/backplane";

/**
 * The reserved "hub" every node joins so a usage query reaches all of them, including nodes
 * that hold no connection of any hub the asker knows. `$` is outside the hub-name pattern,
 * so it never collides with a real hub.
 */
export const CLUSTER_USAGE_HUB = "$usage";

/**
 * Makes this node reachable by cluster usage queries and returns how to ask the other nodes.
 * Call once the backplane is attached. Nodes answer with their meter's snapshot (see
 * `ServiceNode.answerQuery`); the answers are checked in `metering-http-handler.ts`.
 */
export function joinClusterUsage(backplane: Backplane): () => Promise<unknown[]> {
  backplane.hubActivated(CLUSTER_USAGE_HUB);
  return async () => {
    const answers = await backplane.query(CLUSTER_USAGE_HUB, { kind: "usage" });
    return answers.flatMap((answer) => (answer.kind === "usage" ? [answer.value] : []));
  };
}
