/**
 * The door's tests drive it with one token far past Statuspage's 60 requests a minute while the
 * injected clock stands still; they test shapes, not the limit, so they switch it off.
 * rate-limit.test.ts tests the limit itself, at its default.
 */
export const UNLIMITED = { LIFELINE_V1_RATE_LIMIT: '0' };
