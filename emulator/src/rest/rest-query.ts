/** Query parameters by case-insensitive name (`maxpagesize` and `maxPageSize` are the same), repeats kept in order. */
export class RestQuery {
  private readonly values = new Map<string, string[]>();

  constructor(search: string) {
    for (const [key, value] of new URLSearchParams(search)) {
      const k = key.toLowerCase();
      const list = this.values.get(k);
      if (list) list.push(value);
      else this.values.set(k, [value]);
    }
  }

  /** The first value, or undefined when absent. */
  get(name: string): string | undefined {
    return this.values.get(name.toLowerCase())?.[0];
  }

  /** Every non-empty value of a repeated ("Multi" format) parameter. */
  getAll(name: string): string[] {
    return (this.values.get(name.toLowerCase()) ?? []).filter((v) => v !== "");
  }
}
