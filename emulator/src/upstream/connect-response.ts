import type { ConnectOutcome } from "./upstream-dispatcher";

/**
 * Reads a 2xx `connect` response body: `{userId?, groups?, roles?, subprotocol?}`.
 * An empty body keeps the token's defaults. A malformed body is an error, not a silent accept.
 */
export function parseConnectResponse(body: Buffer, connectionState: string | undefined): ConnectOutcome {
  const base: ConnectOutcome = connectionState === undefined ? { kind: "accept" } : { kind: "accept", connectionState };
  const text = body.toString("utf8").trim();
  if (text.length === 0) return base;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { kind: "reject", status: 500, message: "The connect event handler returned a body that is not JSON." };
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return { kind: "reject", status: 500, message: "The connect event handler returned JSON that is not an object." };
  }
  const record = parsed as Record<string, unknown>;
  const outcome: Extract<ConnectOutcome, { kind: "accept" }> = { ...base };
  for (const name of ["userId", "subprotocol"] as const) {
    const value = record[name];
    if (value === undefined || value === null) continue;
    if (typeof value !== "string") return invalidField(name, "a string");
    outcome[name] = value;
  }
  for (const name of ["groups", "roles"] as const) {
    const value = record[name];
    if (value === undefined || value === null) continue;
    if (!Array.isArray(value) || !value.every((v): v is string => typeof v === "string")) return invalidField(name, "an array of strings");
    outcome[name] = value;
  }
  return outcome;
}

function invalidField(name: string, expected: string): ConnectOutcome {
  return { kind: "reject", status: 500, message: `The connect event handler returned "${name}" that is not ${expected}.` };
}
