import { readdirSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { Context } from '../../context.js';
import { UsageError } from '../../errors.js';
import { DEFAULT_FIELDS, parseFields } from '../../core/fields.js';
import { EXTRAS, type Database, type Extra } from '../../core/manifest.js';
import { derivedPackageName, domainList, type Layout, LAYOUTS, packageName, projectDirectory, projectName } from '../../core/names.js';
import type { DomainSpec } from '../../core/domain.js';

/** What commander hands over: anything may be missing. */
export interface CreateFlags {
  directory?: string;
  name?: string;
  domains?: string;
  extras?: string;
  db?: string;
  layout?: string;
  git?: boolean;
  install?: boolean;
  dryRun?: boolean;
  json?: boolean;
  force?: boolean;
}

/** Everything create needs, complete and validated. */
export interface CreateOptions {
  directory: string;
  projectName: string;
  packageName: string;
  domains: DomainSpec[];
  extras: Extra[];
  db: Database;
  layout: Layout;
  git: boolean;
  install: boolean;
  dryRun: boolean;
  json: boolean;
  force: boolean;
  /** Names derived from the folder that differ from it, said before anything is written. */
  derivedNames: string[];
}

export const DEFAULT_DOMAINS = 'users,orders';

function parseExtras(raw: string): Extra[] {
  const extras = raw
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '' && part !== 'none');
  for (const extra of extras) {
    if (!EXTRAS.includes(extra as Extra)) throw new UsageError(`Unknown extra "${extra}" (choose from ${EXTRAS.join(', ')})`);
  }
  return [...new Set(extras as Extra[])];
}

function parseDb(raw: string): Database {
  if (raw !== 'sqlite' && raw !== 'postgres') throw new UsageError(`Unknown database "${raw}" (sqlite or postgres)`);
  return raw;
}

function parseLayout(raw: string): Layout {
  if (!LAYOUTS.includes(raw as Layout)) throw new UsageError(`Unknown layout "${raw}" (${LAYOUTS.join(' or ')})`);
  return raw as Layout;
}

function parseDomains(raw: string) {
  const names = domainList(raw);
  if (names.length === 0) throw new UsageError('Give at least one domain');
  return names;
}

/** The message of the usage error `check` throws, or undefined: how a prompt validates. */
const problem = (check: () => unknown) => {
  try {
    check();
    return undefined;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return error.message;
  }
};

/**
 * The target folder: one that does not exist, or an empty one (unless --force); its name must give
 * a project name and a package name. Checked at the prompt, so a bad answer is asked again.
 */
function checkDirectory(raw: string, cwd: string, force: boolean) {
  const directory = resolve(cwd, projectDirectory(raw));
  const project = projectName(basename(directory));
  let entries: string[] = [];
  try {
    entries = readdirSync(directory);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') throw new UsageError(`${raw} is a file, not a folder; choose another`);
    if (code !== 'ENOENT') throw error;
  }
  if (entries.length > 0 && !force) {
    const more = entries.length > 10 ? ` (and ${entries.length - 10} more)` : '';
    throw new UsageError(`${raw} is not empty; it holds: ${entries.slice(0, 10).join(', ')}${more}. Choose a new or empty folder, or use --force to write into it`);
  }
  return { directory, project };
}

/**
 * Turns partial flags into complete options, asking only for what is missing and only when
 * interactive. Every answer is validated where it is given, and a bad one is asked again.
 */
export async function resolveCreateOptions(flags: CreateFlags, ctx: Pick<Context, 'interactive' | 'prompt' | 'cwd'>): Promise<CreateOptions> {
  const { interactive, prompt, cwd } = ctx;
  const force = flags.force ?? false;
  if (flags.json && !flags.dryRun) throw new UsageError('--json prints the plan of a dry run: add --dry-run');
  if (flags.directory === undefined && !interactive) {
    throw new UsageError('Missing project directory: create-layered-backend <directory>');
  }
  if (interactive) await prompt.intro('create-layered-backend');

  const directoryAnswer =
    flags.directory ??
    (await prompt.text({
      message: 'Where should the project go?',
      placeholder: 'my-api',
      validate: (value) => problem(() => derivedPackageName(checkDirectory(value, cwd, force).project)),
    }));
  const { directory, project } = checkDirectory(directoryAnswer, cwd, force);
  const folder = basename(directory);
  const derivedNames = project === folder ? [] : [`Project name "${project}", from the folder "${folder}"`];

  let pkg: string;
  if (flags.name !== undefined) pkg = packageName(flags.name);
  else if (interactive) {
    const suggested = derivedPackageName(project);
    pkg = packageName(
      await prompt.text({ message: 'Python package name', placeholder: suggested, validate: (value) => problem(() => packageName(value)) }),
    );
  } else {
    pkg = derivedPackageName(project);
    derivedNames.push(`Python package "${pkg}", from the project name`);
  }

  const domainsRaw =
    flags.domains ??
    (interactive
      ? await prompt.text({
          message: 'Domains to start with (comma-separated)',
          placeholder: DEFAULT_DOMAINS,
          validate: (value) => problem(() => parseDomains(value)),
        })
      : DEFAULT_DOMAINS);
  const domains = parseDomains(domainsRaw).map((name) => ({ name, fields: parseFields(DEFAULT_FIELDS), fieldsSpec: DEFAULT_FIELDS }));

  const extras =
    flags.extras !== undefined
      ? parseExtras(flags.extras)
      : interactive
        ? await prompt.multiselect<Extra>({
            message: 'Optional folders',
            options: [
              { value: 'crawlers', label: 'crawlers/', hint: 'scrapers going through utils/http.py' },
              { value: 'schedulers', label: 'schedulers/', hint: 'cron and interval jobs, each run once across replicas (Redis)' },
              { value: 'clients', label: 'clients/', hint: 'typed clients for external APIs' },
              { value: 'workers', label: 'workers/', hint: 'a task queue (taskiq): in-process by default, Redis in production' },
            ],
            initialValues: [],
          })
        : [];

  const db =
    flags.db !== undefined
      ? parseDb(flags.db)
      : interactive
        ? await prompt.select<Database>({
            message: 'Database',
            options: [
              { value: 'sqlite', label: 'SQLite', hint: 'embedded, nothing to run' },
              { value: 'postgres', label: 'PostgreSQL', hint: 'asyncpg; a server to run' },
            ],
            initialValue: 'sqlite',
          })
        : 'sqlite';

  // Not asked: layer-first is where the seed starts, and `flip` moves a project later.
  const layout = flags.layout === undefined ? 'layer-first' : parseLayout(flags.layout);

  const git = flags.git ?? (interactive ? await prompt.confirm({ message: 'Initialise a git repository?', initialValue: true }) : true);
  const install =
    flags.install ?? (interactive ? await prompt.confirm({ message: 'Install the Python dependencies now?', initialValue: true }) : true);

  return {
    directory,
    projectName: project,
    packageName: pkg,
    domains,
    extras,
    db,
    layout,
    git,
    install,
    dryRun: flags.dryRun ?? false,
    json: flags.json ?? false,
    force,
    derivedNames,
  };
}
