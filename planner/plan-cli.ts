/**
 * `npm run plan -- ...`: units, daily billed messages and cost of a workload on Azure Web PubSub
 * and Azure SignalR Service, described by flags or measured by the local service. Reads the
 * prices override file and the measured service; everything else is in pure modules.
 */
import { readFile } from "node:fs/promises";
import type { UsageReport } from "@serverless-pubsub-kit/emulator";
import { planCapacity, type CapacityPlan } from "./capacity-plan";
import { parsePlanArgs, PLAN_USAGE, type PlanRequest } from "./plan-args";
import { formatPlan } from "./plan-text";
import { PriceSheetError, resolvePriceSheet, type PriceSheet } from "./price-sheet";
import { trafficProfile, WorkloadError } from "./workload";

async function loadPrices(file: string | undefined): Promise<PriceSheet> {
  if (file === undefined) return resolvePriceSheet();
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new PriceSheetError(`cannot read prices file ${file}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (error) {
    throw new PriceSheetError(`prices file ${file} is not valid JSON: ${(error as Error).message}`);
  }
  try {
    return resolvePriceSheet(parsed);
  } catch (error) {
    throw new PriceSheetError(`${file}: ${(error as Error).message}`);
  }
}

async function fetchUsage(serviceUrl: string): Promise<UsageReport> {
  let response: Response;
  try {
    response = await fetch(`${serviceUrl}/api/usage`, { headers: { accept: "application/json" }, signal: AbortSignal.timeout(10_000) });
  } catch (error) {
    throw new WorkloadError(`cannot reach the local service at ${serviceUrl}: ${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message}`);
  }
  if (!response.ok) throw new WorkloadError(`${serviceUrl}/api/usage answered ${response.status}; is it the local service?`);
  return (await response.json()) as UsageReport;
}

async function plan(request: Exclude<PlanRequest, { kind: "help" }>): Promise<CapacityPlan> {
  const sheet = await loadPrices(request.pricesFile);
  const workload = request.kind === "described" ? request.workload : { kind: "measured" as const, usage: await fetchUsage(request.serviceUrl) };
  return planCapacity(trafficProfile(workload, sheet), sheet, request.servers);
}

async function main(): Promise<void> {
  let request: PlanRequest;
  try {
    request = parsePlanArgs(process.argv.slice(2));
  } catch (error) {
    console.error((error as Error).message);
    console.error(PLAN_USAGE);
    process.exitCode = 1;
    return;
  }
  if (request.kind === "help") {
    console.log(PLAN_USAGE);
    return;
  }
  const result = await plan(request);
  console.log(request.json ? JSON.stringify(result, null, 2) : formatPlan(result));
}

main().catch((error: unknown) => {
  console.error(error instanceof WorkloadError || error instanceof PriceSheetError ? error.message : String(error));
  process.exitCode = 1;
});
