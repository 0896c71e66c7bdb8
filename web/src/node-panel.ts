/**
 * The page's node controls, shown when the app runs several local nodes: which node to connect
 * through, which to send through, the status line, and the one-click delivery test that sends
 * numbered messages through every node to yourself and shows what arrived, node beside node.
 */
import { defaultCheckMessages, maxCheckMessages, startCheck, type CheckMessage, type CheckRun, type NodeTally } from "./delivery-check";
import { loadHistory, resultRows, saveRun, type ResultRow } from "./check-history";
import { nodeOfBaseUrl, nodeOfService, nodeStatusLine, type PageDirectory } from "./node-directory";

export interface NodePanelElements {
  panel: HTMLElement;
  connectField: HTMLElement;
  connectNode: HTMLSelectElement;
  sendField: HTMLElement;
  sendNode: HTMLSelectElement;
  baseUrl: HTMLInputElement;
  status: HTMLElement;
  checkForm: HTMLFormElement;
  checkCount: HTMLInputElement;
  checkButton: HTMLButtonElement;
  checkStatus: HTMLElement;
  results: HTMLTableElement;
}

export interface NodePanelHooks {
  /** The service origin negotiate returned for the current socket, if any. */
  serviceOrigin(): string | undefined;
  /** The user id of the connected socket, or null when not connected. */
  connectedUser(): string | null;
  /** Sends one test message to `userId` through the function host at `baseUrl`. */
  send(baseUrl: string, userId: string, message: CheckMessage): Promise<void>;
  describeFailure(error: unknown): string;
  /** Where the last run of each backplane kind is kept across restarts; undefined keeps nothing. */
  storage: Pick<Storage, "getItem" | "setItem"> | undefined;
}

export interface NodePanel {
  /** Where the Send form's HTTP sends go: the picked node, or undefined to use the base URL field. */
  sendBaseUrl(): string | undefined;
  /** The node whose function host listens at `host` (`name:port`), to name where a message came through. */
  nodeOfHost(host: string): number | undefined;
  /** Offers a received message to a running test; true when it was one (and is not logged). */
  receive(data: unknown): boolean;
  refresh(): void;
}

function option(value: number): HTMLOptionElement {
  const item = document.createElement("option");
  item.value = String(value);
  item.textContent = `node ${value}`;
  return item;
}

function latencyText(tally: NodeTally): string {
  if (tally.medianMs === null || tally.maxMs === null) return "none arrived";
  return `${tally.medianMs.toFixed(1)} ms / ${tally.maxMs.toFixed(1)} ms`;
}

function renderResults(table: HTMLTableElement, rows: readonly ResultRow[]): void {
  const body = table.tBodies[0];
  body.replaceChildren(
    ...rows.map(({ tally, backplane, current, at, socketNode }) => {
      const row = document.createElement("tr");
      row.dataset.node = String(tally.node);
      row.dataset.backplane = backplane;
      row.dataset.run = current ? "this" : "earlier";
      const head = document.createElement("th");
      head.scope = "row";
      head.textContent = `node ${tally.node}${tally.node === socketNode ? " (your socket's)" : ""}`;
      row.append(head);
      const share = `${backplane === "redis" ? "Redis" : "nothing"}${current ? "" : ` (earlier run, ${new Date(at).toLocaleTimeString()})`}`;
      for (const [field, label, text] of [
        ["shared", "Nodes share", share],
        ["sent", "Sent", String(tally.sent)],
        ["delivered", "Delivered", String(tally.delivered)],
        ["lost", "Lost", String(tally.lost)],
        ["latency", "Latency (median / max)", latencyText(tally)],
      ] as const) {
        const cell = document.createElement("td");
        cell.dataset.field = field;
        cell.dataset.label = label;
        cell.textContent = text;
        if (field === "lost" && tally.lost > 0) cell.className = "bad";
        row.append(cell);
      }
      return row;
    }),
  );
}

export function mountNodePanel(elements: NodePanelElements, directory: PageDirectory, hooks: NodePanelHooks): NodePanel {
  const several = directory.nodes.length > 1;
  let run: CheckRun | undefined;
  const byNumber = new Map(directory.nodes.map((node) => [node.node, node]));
  if (several) {
    elements.connectNode.replaceChildren(...directory.nodes.map((node) => option(node.node)));
    elements.sendNode.replaceChildren(...directory.nodes.map((node) => option(node.node)));
    // The story's default: the socket on node 1, the work that notifies it on node 2.
    elements.sendNode.value = String(directory.nodes[1].node);
    elements.connectField.hidden = false;
    elements.sendField.hidden = false;
    elements.panel.hidden = false;
    elements.baseUrl.value = directory.nodes[0].baseUrl;
  }
  elements.checkCount.value = String(defaultCheckMessages);
  const memory = new Map<string, string>();
  const storage = hooks.storage ?? { getItem: (key: string) => memory.get(key) ?? null, setItem: (key: string, value: string) => void memory.set(key, value) };
  // A run saved before a restart (say, without Redis) shows at once, beside the next one.
  if (several) renderResults(elements.results, resultRows(loadHistory(storage), undefined));

  const picked = (select: HTMLSelectElement): number => Number(select.value);
  const socketNode = (): number | undefined => (hooks.connectedUser() === null ? undefined : nodeOfService(directory, hooks.serviceOrigin()));
  const refresh = (): void => {
    if (!several) return;
    elements.status.textContent = nodeStatusLine(directory, socketNode(), picked(elements.connectNode), picked(elements.sendNode));
  };

  elements.connectNode.addEventListener("change", () => {
    const node = byNumber.get(picked(elements.connectNode));
    if (node) elements.baseUrl.value = node.baseUrl;
    refresh();
  });
  elements.sendNode.addEventListener("change", refresh);

  const runCheck = async (): Promise<void> => {
    const userId = hooks.connectedUser();
    if (userId === null) {
      elements.checkStatus.textContent = "Connect first: the test sends to your own user and counts what your socket receives.";
      return;
    }
    const count = Number(elements.checkCount.value);
    if (!Number.isInteger(count) || count < 1 || count > maxCheckMessages) {
      elements.checkStatus.textContent = `Pick 1 to ${maxCheckMessages} messages per node.`;
      return;
    }
    const nodes = directory.nodes.map((node) => node.node);
    elements.checkButton.disabled = true;
    elements.checkStatus.textContent = `Sending ${count} messages through each of ${nodes.length} nodes to user ${userId}…`;
    elements.results.dataset.state = "running";
    run = startCheck({
      nodes,
      count,
      now: () => performance.now(),
      send: (node, message) => hooks.send(byNumber.get(node)?.baseUrl ?? "", userId, message),
    });
    try {
      const tallies = await run.finished;
      const at = new Date().toISOString();
      const history = saveRun(storage, { backplane: directory.backplane, at, socketNode: socketNode() ?? null, tallies });
      renderResults(elements.results, resultRows(history, at));
      const lost = tallies.reduce((sum, tally) => sum + tally.lost, 0);
      const other = directory.backplane === "redis" ? "without --redis" : "with --redis";
      elements.checkStatus.textContent =
        (lost === 0 ? "Every message arrived, whichever node it went through." : `${lost} message(s) never arrived: the node they went through does not hold your socket and shares nothing with the one that does.`) +
        (history.none && history.redis ? "" : ` Restart npm start ${other} on the same ports and run it again to see both side by side.`);
      elements.results.dataset.state = "done";
    } catch (error) {
      elements.checkStatus.textContent = `The test stopped: ${hooks.describeFailure(error)}`;
      elements.results.dataset.state = "failed";
    } finally {
      run = undefined;
      elements.checkButton.disabled = false;
    }
  };
  elements.checkForm.addEventListener("submit", (event) => {
    event.preventDefault();
    void runCheck();
  });
  refresh();

  return {
    sendBaseUrl: () => (several ? byNumber.get(picked(elements.sendNode))?.baseUrl : undefined),
    nodeOfHost: (host) => nodeOfBaseUrl(directory, `http://${host}/`),
    receive: (data) => run?.receive(data, performance.now()) ?? false,
    refresh,
  };
}
