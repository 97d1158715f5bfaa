// Types for public-surface.mjs (plain JavaScript, read by scripts/check-package.mjs too).
export const INDEX_VALUES: readonly string[];
export const INDEX_TYPES: readonly string[];
export const TESTING_EXPORTS: readonly string[];
