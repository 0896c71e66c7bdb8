import fc from "fast-check";

/** Names a hostile client would try: non-Latin-1, controls, encodings that confuse decoders, path tricks. */
export const nastyNames = [
  "用户",
  // Object.prototype members: hub names, query names and claim names that are plain keys elsewhere.
  "constructor",
  "toString",
  "valueOf",
  "hasOwnProperty",
  "__proto__",
  "Zoë",
  "😀",
  "\u0000",
  "a\r\nb",
  "\u0085",
  "%E0%A4%A",
  "%zz",
  "%2F",
  "..",
  "/",
  "a+b",
  "a b",
  " ",
  "",
  "\uD800",
  "\uFFFF",
  "ÿ",
  "<script>",
  "'; DROP",
  "a".repeat(1025),
  "用".repeat(600),
] as const;

/** Any text: printable, any code point (lone surrogates included), the nasty names, very long. */
export const hostileText: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 24 }) },
  { weight: 3, arbitrary: fc.string({ unit: "binary", maxLength: 24 }) },
  { weight: 4, arbitrary: fc.constantFrom(...nastyNames) },
  { weight: 1, arbitrary: fc.string({ minLength: 1025, maxLength: 2000 }) },
);

/** Bytes that are not valid UTF-8 (overlong, truncated, surrogates, stray continuation bytes). */
export const badUtf8: fc.Arbitrary<Buffer> = fc
  .tuple(
    fc.string({ maxLength: 8 }),
    fc.constantFrom([0xff], [0xc3], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82]),
    fc.string({ maxLength: 8 }),
  )
  .map(([a, bad, b]) => Buffer.concat([Buffer.from(a), Buffer.from(bad), Buffer.from(b)]));

/** Any JSON value, a wrong-typed field for any key. */
export const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1.5, 2 ** 53, -(2 ** 63), "", "x", [], {}),
  hostileText,
  fc.integer(),
  fc.double(),
  fc.array(fc.oneof(fc.string({ maxLength: 8 }), fc.integer()), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(fc.string({ maxLength: 6 }), fc.integer()), { maxKeys: 3 }),
);

/** Header-safe Latin-1 text with bytes above 0x7F (what a hostile client can put in a header). */
export const latin1HeaderText: fc.Arbitrary<string> = fc
  .array(fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff })), { maxLength: 40 })
  .map((codes) => String.fromCharCode(...codes));

/** Deterministic samples of `arbitrary` for one target. */
export function samples<T>(arbitrary: fc.Arbitrary<T>, seed: number, count: number): T[] {
  return fc.sample(arbitrary, { seed, numRuns: count });
}

/** Runs `task` over `items` with at most `width` at once. */
export async function inParallel<T>(items: readonly T[], width: number, task: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      await task(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}

/** `encodeURIComponent`, except that a lone surrogate (which has no UTF-8 form) becomes the bytes a careless client would send. */
export function encodeComponent(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return "%ED%A0%80";
  }
}
