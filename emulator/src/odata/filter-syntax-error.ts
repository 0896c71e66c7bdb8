/** A filter that cannot be parsed or type-checked. `position` is the 0-based offset of the problem. */
export class FilterSyntaxError extends Error {
  override readonly name = "FilterSyntaxError";
  constructor(
    readonly reason: string,
    readonly position: number,
  ) {
    super(`Invalid filter: ${reason} at position ${position + 1}.`);
  }
}
