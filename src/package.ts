// Injected at build time (tsup) and test time (vitest): --version reads no file.
declare const __CLB_VERSION__: string;
export const VERSION = __CLB_VERSION__;
