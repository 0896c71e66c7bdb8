import { AppError } from "./errors";

interface RestErrorLike {
  name: string;
  message: string;
  code?: string;
  statusCode?: number;
  response?: { bodyAsText?: string | null };
}

/**
 * Maps a failed SDK call. The service's 400 and 404 are about the caller's own input (a filter,
 * a connection that does not exist) and stay 4xx: `ServiceRejectedInput`, `ServiceNotFound`.
 * Any other answer is the app's problem, a 502 `ServiceError` (with the service's status and
 * code); `ServiceUnreachable` (502) when it could not be reached. Anything else is rethrown.
 */
export function toServiceFailure(error: unknown, endpoint: string): AppError {
  if (error instanceof AppError) return error;
  if (!isRestError(error)) throw error;
  if (typeof error.statusCode === "number") {
    const body = parseErrorBody(error.response?.bodyAsText);
    const serviceCode = body.code ?? error.code ?? `Http${error.statusCode}`;
    const serviceMessage = body.message ?? (error.message || "no detail");
    const code = error.statusCode === 400 ? "ServiceRejectedInput" : error.statusCode === 404 ? "ServiceNotFound" : "ServiceError";
    return new AppError(code, `Web PubSub answered ${error.statusCode} ${serviceCode}: ${shorten(serviceMessage)}`, {
      serviceStatus: error.statusCode,
      serviceCode,
    });
  }
  const serviceCode = error.code ?? "NetworkError";
  return new AppError("ServiceUnreachable", `Web PubSub at ${new URL(endpoint).origin} could not be reached (${serviceCode}).`, { serviceCode });
}

function isRestError(error: unknown): error is RestErrorLike {
  return error instanceof Error && error.name === "RestError";
}

function parseErrorBody(text: string | null | undefined): { code?: string; message?: string } {
  if (!text) return {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === "object") {
      const { code, message } = parsed as Record<string, unknown>;
      return { code: typeof code === "string" ? code : undefined, message: typeof message === "string" ? message : undefined };
    }
  } catch {
    // Not JSON: use the text itself.
  }
  return { message: text };
}

function shorten(text: string): string {
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
