/**
 * The ESM-only packages the CLI uses, imported here and nowhere else: a file loaded from a V8 code
 * cache (code-cache.ts) cannot run import(), so the build keeps this module outside the bundle,
 * where Node's own loader compiles it.
 */
export const importExeca = () => import('execa');
export const importClack = () => import('@clack/prompts');
