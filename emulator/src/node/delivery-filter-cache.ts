import { compileFilter, type FilterSubject } from "../odata/filter";
import type { ClientSession } from "./client-session";

export type SessionPredicate = (session: ClientSession) => boolean;

const MAX_CACHED = 500;

/** Compiled OData filters by text; a broadcast repeated with the same filter compiles it once. */
export class DeliveryFilterCache {
  private readonly compiled = new Map<string, (subject: FilterSubject) => boolean>();

  /** Throws FilterSyntaxError on a bad filter (REST validates before it gets here). */
  predicate(filter: string | undefined): SessionPredicate | undefined {
    if (filter === undefined || filter.trim() === "") return undefined;
    let test = this.compiled.get(filter);
    if (!test) {
      test = compileFilter(filter);
      if (this.compiled.size >= MAX_CACHED) this.compiled.delete(this.compiled.keys().next().value!);
      this.compiled.set(filter, test);
    }
    const evaluate = test;
    return (session) =>
      evaluate({ connectionId: session.connectionId, userId: session.userId, groups: session.groups, protocol: session.subprotocol ?? "" });
  }
}
