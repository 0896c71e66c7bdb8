import type { KeyObject } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { ServiceMeter } from "../metering/service-meter";
import type { ServiceApi } from "../service-api";
import type { RestQuery } from "./rest-query";

/** Everything an operation may use; built once per request by the handler. */
export interface RestContext {
  req: IncomingMessage;
  query: RestQuery;
  service: ServiceApi;
  meter: ServiceMeter;
  /** Keys that sign tokens; the first one signs the tokens `:generateToken` issues. */
  accessKeys: readonly KeyObject[];
  maxBodyBytes: number;
  /** `http(s)://host` as the caller addressed us (from the Host header). */
  origin: string;
  now: () => number;
}

/** What an operation answers: a status and, for GET/POST with data, a JSON body. */
export interface RestResult {
  status: number;
  json?: unknown;
}
