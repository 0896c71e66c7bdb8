/** The planner's answer as text for the terminal (`npm run plan`) and one line for the web page. Pure. */
import { describeLimit, type CapacityPlan, type ServicePlan, type TierPlan } from "./capacity-plan";

const count = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const rate = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });

function money(value: number, currency: string): string {
  return new Intl.NumberFormat("en-US", { style: "currency", currency, minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(value);
}

function tierLine(tier: TierPlan, currency: string): string {
  if (!tier.fits) return `    ${tier.sku.padEnd(12)} does not fit: ${tier.reason}`;
  const limits = tier.limits
    .map((use) => `${describeLimit(use.limit)} ${rate.format(use.utilisation * 100)}%`)
    .join(", ");
  return (
    `    ${tier.sku.padEnd(12)} ${String(tier.units).padStart(4)} unit(s)  ${money(tier.costPerDay, currency).padStart(12)}/day ` +
    `${money(tier.costPerMonth, currency).padStart(14)}/month  binding: ${describeLimit(tier.bindingLimit)} (${limits})`
  );
}

function serviceLines(plan: ServicePlan, currency: string): string[] {
  const best = plan.recommended;
  const lines = [
    best
      ? `${plan.name}: ${best.name} (${best.sku}) × ${best.units} unit(s), about ${money(best.costPerDay, currency)}/day, ` +
        `${money(best.costPerMonth, currency)}/month; binding limit: ${describeLimit(best.bindingLimit)}`
      : `${plan.name}: no tier fits`,
  ];
  if (best && best.extraMessagesPerDay > 0) {
    lines.push(`  ${count.format(best.includedMessagesPerDay)} messages/day included, ${count.format(best.extraMessagesPerDay)} billed as extra`);
  }
  lines.push(...plan.tiers.map((tier) => tierLine(tier, currency)));
  lines.push(...plan.warnings.map((warning) => `  warning: ${warning}`));
  return lines;
}

/** What a default-mode SignalR app's servers add to the connections, or that serverless mode has none. */
function serverConnectionsLine(plan: CapacityPlan): string {
  const { appServers, hubs, perAppServerAndHub, total } = plan.serverConnections;
  if (total === 0) return "Server connections: none (serverless mode, which this function app uses, opens none; --app-servers N --hubs H counts a default-mode app's).";
  return `Server connections: ${count.format(appServers)} app server(s) × ${count.format(hubs)} hub(s) × ${perAppServerAndHub} = ${count.format(total)}, counted toward Azure SignalR Service's connections (serverless mode, which this function app uses, has none).`;
}

/** The full answer, service by service. */
export function formatPlan(plan: CapacityPlan): string {
  const { profile, prices } = plan;
  const perDay = count.format(profile.billedMessagesPerDay);
  const lines = [
    `Workload: ${count.format(profile.connections)} connections; ${profile.summary}.`,
    `Billed outbound messages per day: ${perDay} (each delivery costs ceil(bytes / 2048), at least 1; both services).`,
    `  Web PubSub's billing doc read as aggregate bytes in 2 KB steps would give ${count.format(profile.trafficUnitsPerDay)}.`,
    serverConnectionsLine(plan),
    "",
  ];
  for (const service of plan.services) lines.push(...serviceLines(service, prices.currency), "");
  lines.push(`Prices read ${prices.readOn} (${prices.currency}). ${prices.note}`);
  return lines.join("\n");
}

/** One sentence for the web page: "at this rate for a day: N messages, U units, about $X/day on Standard". */
export function planSentence(plan: CapacityPlan): string {
  const parts = plan.services.map((service) => {
    const best = service.recommended;
    if (!best) return `${service.name}: no tier fits`;
    return `${service.name}: ${best.units} ${best.name} unit(s), about ${money(best.costPerDay, plan.prices.currency)}/day`;
  });
  return `At this rate for a day: ${count.format(plan.profile.billedMessagesPerDay)} billed messages; ${parts.join("; ")}.`;
}
