/** Limits of the fuzzed service process: small, so oversized inputs cost little to send. */
export const FUZZ_ACCESS_KEY = "FUZZ-KEY-0123456789-0123456789-0123456789-01";
export const FUZZ_MAX_FRAME_BYTES = 65_536;
export const FUZZ_MAX_BODY_BYTES = 65_536;
