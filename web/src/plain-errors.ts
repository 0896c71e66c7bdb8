/** Turns any failure the page can meet into one plain sentence for people, not stack traces. */
import { FunctionCallError } from "./function-api";

const byStatus: Record<number, string> = {
  400: "The function app refused the request as malformed",
  401: "The function app needs a valid function key (or sign-in) for this",
  403: "Forbidden: you are not allowed to do this",
  404: "Not found",
  413: "The message is too large: the limit is 1,048,576 bytes (1 MB)",
  415: "That data type is not accepted",
  502: "The function app could not deliver through the realtime service",
};

interface AckErrorLike {
  name?: string;
  errorDetail?: { name?: string; message?: string };
  message?: string;
}

export function describeFailure(action: string, error: unknown): string {
  if (error instanceof FunctionCallError) {
    if (error.status === 0) return `${action} failed: the function app could not be reached. Check the base URL and that the app is running.`;
    const headline = byStatus[error.status] ?? `The function app answered ${error.status}`;
    const detail = error.serviceMessage ? ` ${error.serviceMessage}` : "";
    return `${action} failed (${error.status} ${error.code}): ${headline}.${detail}`;
  }
  const ackError = error as AckErrorLike;
  const detail = ackError?.errorDetail;
  if (detail?.name === "Forbidden") {
    return `${action} failed (403 Forbidden): your connection has no permission for this. ${detail.message ?? ""}`.trim();
  }
  if (detail?.name) return `${action} failed (${detail.name}): ${detail.message ?? "the service refused it"}`;
  const message = error instanceof Error ? error.message : String(error);
  return `${action} failed: ${message}`;
}
