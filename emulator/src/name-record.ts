/**
 * A plain record for keys a client chooses (hub names, query parameters, claim names): it has no
 * prototype, so `constructor`, `toString` or `__proto__` are keys like any other instead of
 * Object.prototype's members. Serialises with JSON.stringify as usual.
 */
export function nameRecord<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}
