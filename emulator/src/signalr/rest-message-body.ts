import { signalrError } from "./signalr-errors";

/**
 * A REST send's body `{target, arguments}`, keys in any case (the .NET SDK writes `Target` and
 * `Arguments`). Returns the target and the arguments array re-serialized as JSON bytes, which
 * each face frames for its clients.
 */
export function parseInvocationBody(body: Buffer): { target: string; argumentsJson: Buffer } {
  let value: unknown;
  try {
    value = JSON.parse(body.toString("utf8"));
  } catch {
    throw signalrError("Error.InvalidRequestBody", "The body is not valid JSON.");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw signalrError("Error.InvalidRequestBody");
  let target: unknown;
  let args: unknown;
  for (const [key, field] of Object.entries(value)) {
    const lower = key.toLowerCase();
    if (lower === "target") target = field;
    else if (lower === "arguments") args = field;
  }
  if (typeof target !== "string" || target.length === 0) throw signalrError("Error.InvalidRequestBody", "Message in request body is required: a non-empty string 'target'.");
  if (args !== undefined && args !== null && !Array.isArray(args)) throw signalrError("Error.InvalidRequestBody", "'arguments' must be an array.");
  return { target, argumentsJson: Buffer.from(JSON.stringify(args ?? []), "utf8") };
}
