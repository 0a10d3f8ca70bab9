/**
 * Packages only some runs need: execa (git and the install after create) and clack (the wizard).
 * The build bundles them into dist/on-demand.cjs, a file of its own beside the main bundle, so a run
 * that never prompts or spawns a process loads none of it.
 */
export { execa } from 'execa';
export * as clack from '@clack/prompts';
