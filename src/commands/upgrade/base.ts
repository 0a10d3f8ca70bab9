import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../../errors.js';
import { type PlanSource, stepArguments } from './replay.js';

/**
 * Another version of this CLI, to render the base of the merge: a folder holding the package (a
 * built checkout, or one npm installed), run with this Node.
 */
export interface CliPackage {
  version: string;
  bin: string;
}

const PACKAGE_NAME = 'create-layered-backend';

/** The package in `dir`; a reason when there is none, or its bin was never built. */
export function packageIn(dir: string): CliPackage {
  let meta: { name?: unknown; version?: unknown; bin?: unknown };
  try {
    meta = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  } catch {
    throw new Error(`${dir} holds no readable package.json`);
  }
  if (meta.name !== PACKAGE_NAME || typeof meta.version !== 'string') throw new Error(`${dir} is not a ${PACKAGE_NAME} package`);
  const bin = typeof meta.bin === 'string' ? meta.bin : (meta.bin as Record<string, string> | undefined)?.[PACKAGE_NAME];
  if (bin === undefined) throw new Error(`${dir}'s package.json names no bin`);
  // A checkout's bin loads dist/, which only a build makes.
  if (!existsSync(join(dir, bin)) || !existsSync(join(dir, 'dist'))) throw new Error(`${dir} is not built (run npm ci && npm run build there)`);
  return { version: meta.version, bin: join(dir, bin) };
}

/** What --base names: a folder holding the package, or a tarball for npm to install. */
export interface BaseOption {
  path: string;
  kind: 'folder' | 'tarball';
}

function isGzip(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const magic = Buffer.alloc(2);
    return readSync(fd, magic, 0, 2, 0) === 2 && magic[0] === 0x1f && magic[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}

/** What --base names, checked before anything else happens (a usage error when it will not do). */
export function checkBaseOption(path: string): BaseOption['kind'] {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (stat === undefined) throw new UsageError(`--base ${path}: no such file or folder`);
  if (stat.isFile()) {
    // npm pack makes gzip: anything else would get as far as npm's own error about it.
    if (!isGzip(path)) throw new UsageError(`--base ${path}: not a package tarball (npm pack makes one) nor a folder holding the package`);
    return 'tarball';
  }
  try {
    packageIn(path);
  } catch (error) {
    throw new UsageError(`--base ${(error as Error).message}`);
  }
  return 'folder';
}

/** npm's own one-line reason in its error output (`npm error 404 Not Found - GET ...`). */
function npmReason(output: string): string {
  const lines = output.split('\n').map((line) => /^npm (?:error|ERR!) (.*)$/.exec(line.trim())?.[1]?.trim());
  const code = lines.find((line) => line?.startsWith('code '))?.slice('code '.length);
  const reason = lines.find((line) => line && !line.startsWith('code ') && !line.startsWith('A complete log'));
  return [reason, code && !reason?.includes(code) ? `(${code})` : undefined].filter(Boolean).join(' ') || output.trim().split('\n')[0] || 'npm failed';
}

/**
 * Installs `spec` with npm into `prefix`, which holds nothing else: a tarball, or the package of
 * one version from the registry (kept in npm's cache, which is looked at first). No install
 * scripts run.
 */
export async function installPackage(spec: string, prefix: string): Promise<CliPackage> {
  const { execa } = await import('../../on-demand.js');
  const flags = ['--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--ignore-scripts', '--prefer-offline', '--fetch-retries=0'];
  const result = await execa('npm', ['install', ...flags, '--prefix', prefix, spec], { all: true, reject: false, timeout: 120_000 });
  if (result.exitCode !== 0) throw new Error(`npm install ${spec}: ${npmReason(String(result.all ?? result.message))}`);
  return packageIn(join(prefix, 'node_modules', PACKAGE_NAME));
}

/** The package's CLI, in a process of its own with this Node, asked for each step's plan. */
export function packagePlans(cli: CliPackage): PlanSource {
  return async (step, cwd) => {
    const { execa } = await import('../../on-demand.js');
    const env = { CI: 'true', NO_COLOR: '1' };
    const result = await execa(process.execPath, [cli.bin, ...stepArguments(step)], { cwd, env, reject: false, timeout: 60_000 });
    if (result.exitCode !== 0) throw new Error(String(result.stderr || result.message).trim().split('\n')[0]);
    return String(result.stdout);
  };
}
