/**
 * Live usage panel: polls the local service's `GET /api/usage` and shows connections,
 * messages and billed units per hub, plus a cost check for a message about to be sent.
 *
 * How to mount it (E owns the rest of web/):
 *   import { mountUsagePanel, describeCost, payloadBytes } from "./usage-panel";
 *   const panel = mountUsagePanel(document.querySelector("#usage")!, { usageUrl: () => `${serviceBase}/api/usage` });
 *   // on every keystroke in the compose box:
 *   costHint.textContent = describeCost(payloadBytes(input.value)).text;
 *   // panel.stop() when the page tears down; panel.refresh() right after sending, for instant feedback.
 * `usageUrl` returning undefined pauses polling (e.g. before the service URL is known).
 * The service sends CORS headers on /api/usage, so the page may live on another origin.
 */
import { BILLING_STEP_BYTES, billedUnits } from "../../common/billing-units";
import { startJsonPoll } from "./json-poll";

export { billedUnits };

export interface MessageCost {
  bytes: number;
  /** Units under the per-message rule: ceil(bytes / 2048), at least 1. */
  units: number;
  /** True when the message spills past a 2 KB boundary, so a few bytes cost a whole extra unit. */
  crossesBoundary: boolean;
  /** One sentence for the page. */
  text: string;
}

const numberFormat = new Intl.NumberFormat("en-US");

/** UTF-8 size of a text or JSON payload, which is what the service counts. */
export function payloadBytes(text: string): number {
  return new TextEncoder().encode(text).byteLength;
}

/** What a message of `bytes` costs, with a warning when it crosses a 2 KB boundary (2,049 bytes cost 2 units). */
export function describeCost(bytes: number): MessageCost {
  const units = billedUnits(bytes);
  const crossesBoundary = bytes > BILLING_STEP_BYTES;
  const size = `${numberFormat.format(bytes)} byte${bytes === 1 ? "" : "s"}`;
  const cost = `${units} billed unit${units === 1 ? "" : "s"} per recipient`;
  if (!crossesBoundary) return { bytes, units, crossesBoundary, text: `${size}: ${cost}.` };
  const over = bytes - (units - 1) * BILLING_STEP_BYTES;
  const text = `Warning: ${size} crosses a 2 KB boundary: ${cost}; ${numberFormat.format(over)} byte${over === 1 ? "" : "s"} fewer would cost ${units - 1}.`;
  return { bytes, units, crossesBoundary, text };
}

export interface UsagePanelOptions {
  /** Where `/api/usage` lives; undefined skips the poll. */
  usageUrl: () => string | undefined;
  /** Poll period. @default 2000 */
  intervalMs?: number;
}

export interface UsagePanel {
  /** Fetches and renders now. */
  refresh(): Promise<void>;
  stop(): void;
}

/** The subset of the `/api/usage` body the panel reads (see emulator/src/metering/usage-report.ts). */
interface HubFigures {
  connections: { current: number; peak: number };
  inbound: { messages: number };
  outbound: { messages: number; bytes: number; billedUnits: number; signalrMessages: number; trafficUnits: number };
}
interface UsageBody {
  nodes: number;
  today: string;
  tier: { tier: string; units: number; maxConnections: number; maxDailyMessages: number | null } | null;
  sinceStart: { total: HubFigures; hubs: Record<string, HubFigures> };
  perDay: Record<string, { total: HubFigures; hubs: Record<string, HubFigures> }>;
}

const COLUMNS = ["Hub", "Connections", "Peak", "Inbound msgs", "Outbound msgs", "Billed units", "Billed today"] as const;

function cell(row: HTMLTableRowElement, text: string, tag: "td" | "th" = "td"): void {
  const element = document.createElement(tag);
  element.textContent = text;
  // On a phone each row becomes a card; the cell shows its column's name beside the value.
  element.dataset.label = COLUMNS[row.cells.length] ?? "";
  row.append(element);
}

function renderRow(body: HTMLTableSectionElement, name: string, all: HubFigures, today: HubFigures | undefined): void {
  const row = body.insertRow();
  row.dataset.hub = name;
  cell(row, name, "th");
  for (const value of [
    all.connections.current,
    all.connections.peak,
    all.inbound.messages,
    all.outbound.messages,
    all.outbound.billedUnits,
    today?.outbound.billedUnits ?? 0,
  ]) {
    cell(row, numberFormat.format(value));
  }
}

function render(container: HTMLElement, usage: UsageBody): void {
  const table = document.createElement("table");
  table.className = "usage-table";
  const head = table.createTHead().insertRow();
  for (const title of COLUMNS) cell(head, title, "th");
  const body = table.createTBody();
  const today = usage.perDay[usage.today];
  for (const hub of Object.keys(usage.sinceStart.hubs)) renderRow(body, hub, usage.sinceStart.hubs[hub], today?.hubs[hub]);
  renderRow(body, "Total", usage.sinceStart.total, today?.total);

  const summary = document.createElement("p");
  summary.className = "usage-summary";
  const tier = usage.tier
    ? `Simulated ${usage.tier.tier} tier, ${usage.tier.units} unit(s): up to ${numberFormat.format(usage.tier.maxConnections)} connections` +
      (usage.tier.maxDailyMessages === null ? "." : `, ${numberFormat.format(usage.tier.maxDailyMessages)} messages a day.`)
    : "No tier limits.";
  const total = usage.sinceStart.total.outbound;
  const nodes = usage.nodes === 1 ? "Counted on 1 node." : `Counted on all ${usage.nodes} nodes.`;
  summary.textContent = `Every message a client receives costs 1 billed unit, plus 1 more for each further 2,048 bytes it carries. ${nodes} ${tier}`;
  // The exact rule and the other ways to count the same traffic, one click away.
  const detail = document.createElement("details");
  detail.className = "usage-detail";
  const title = document.createElement("summary");
  title.textContent = "How this is counted";
  const rule = document.createElement("p");
  rule.textContent =
    `Billed units: each outbound message counts ceil(bytes / 2048), at least 1, as Azure Web PubSub bills it. ` +
    `Counted the way Azure SignalR Service bills (per message, in 2 KB parts): ${numberFormat.format(total.signalrMessages)}. ` +
    `All outbound bytes added up, then split into 2 KB parts: ${numberFormat.format(total.trafficUnits)}.`;
  detail.append(title, rule);
  container.replaceChildren(table, summary, detail);
}

export function mountUsagePanel(container: HTMLElement, options: UsagePanelOptions): UsagePanel {
  const intervalMs = options.intervalMs ?? 2000;
  const content = document.createElement("div");
  const status = document.createElement("p");
  status.className = "usage-status";
  status.setAttribute("role", "status");
  container.replaceChildren(content, status);

  return startJsonPoll({
    url: options.usageUrl,
    intervalMs,
    onBody: (body) => {
      render(content, body as UsageBody);
      status.textContent = `Updated ${new Date().toLocaleTimeString()}.`;
    },
    onFailure: (reason) => {
      status.textContent = `Usage unavailable: ${reason}.`;
    },
  });
}
