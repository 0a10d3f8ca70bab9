import type { Database } from '../../../core/manifest.js';
import { type Installer, installCommandLine } from './install.js';

/** A word as a POSIX shell reads it back: quoted only when it has to be (zsh expands a leading =). */
export function shellWord(word: string): string {
  return /^[\w./:@%+-][\w./:@%+=-]*$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

export interface NextStepsProject {
  /** The project folder, relative to where create ran ('.' for that folder itself). */
  directory: string;
  packageName: string;
  db: Database;
  /** The PostgreSQL server and database .env.example names, for --db postgres. */
  postgres?: { serverUrl: string; database: string };
  installer: Installer;
  installed: boolean;
}

/**
 * Shell lines that give a working API when typed in order (the smoke runs them so): the last one
 * starts the server, so the migrations and the tests come before it.
 */
export function nextSteps(project: NextStepsProject): string[] {
  const run = project.installer.tool === 'uv' ? 'uv run ' : '';
  const lines = [
    ...(project.directory === '.' ? [] : [`cd ${shellWord(project.directory)}`]),
    'cp .env.example .env',
  ];
  if (project.postgres) {
    lines.push(
      '# PostgreSQL must be running; .env names the server and its database, created here:',
      `psql ${shellWord(`${project.postgres.serverUrl}/postgres`)} --command 'CREATE DATABASE ${project.postgres.database}'`,
    );
  }
  if (!project.installed) {
    if (project.installer.tool === 'none') lines.push('# install uv (https://docs.astral.sh/uv/) or Python 3.11+, then:');
    lines.push(installCommandLine(project.installer));
  }
  if (project.installer.tool !== 'uv') lines.push('. .venv/bin/activate');
  lines.push(
    `${run}alembic upgrade head`,
    `${run}pytest`,
    `${run}uvicorn ${project.packageName}.main:app --reload`,
  );
  return lines;
}
