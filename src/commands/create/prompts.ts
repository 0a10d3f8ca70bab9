import { basename, resolve } from 'node:path';
import type { Context } from '../../context.js';
import { UsageError } from '../../errors.js';
import { DEFAULT_FIELDS, parseFields } from '../../core/fields.js';
import { EXTRAS, type Database, type Extra } from '../../core/manifest.js';
import { domainList, packageName, projectDirectory } from '../../core/names.js';
import type { DomainSpec } from '../../core/domain.js';

/** What commander hands over: anything may be missing. */
export interface CreateFlags {
  directory?: string;
  name?: string;
  domains?: string;
  extras?: string;
  db?: string;
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
  git: boolean;
  install: boolean;
  dryRun: boolean;
  json: boolean;
  force: boolean;
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

const validationMessage = (check: () => unknown) => {
  try {
    check();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
};

/** Turns partial flags into complete options, asking only for what is missing and only when interactive. */
export async function resolveCreateOptions(flags: CreateFlags, ctx: Pick<Context, 'interactive' | 'prompt' | 'cwd'>) {
  const { interactive, prompt } = ctx;
  let directory = flags.directory;
  if (directory === undefined) {
    if (!interactive) throw new UsageError('Missing project directory: create-layered-backend <directory>');
    directory = await prompt.text({
      message: 'Project directory',
      initialValue: 'my-api',
      validate: (value) => validationMessage(() => packageName(basename(projectDirectory(value)))),
    });
  }
  directory = projectDirectory(directory);
  const projectName = basename(resolve(ctx.cwd, directory));

  const pkg = packageName(
    flags.name ??
      (interactive
        ? await prompt.text({
            message: 'Python package name',
            initialValue: packageName(projectName),
            validate: (value) => validationMessage(() => packageName(value)),
          })
        : projectName),
  );

  const domainsRaw =
    flags.domains ??
    (interactive
      ? await prompt.text({
          message: 'Initial domains (comma-separated)',
          initialValue: DEFAULT_DOMAINS,
          validate: (value) => validationMessage(() => domainList(value)),
        })
      : DEFAULT_DOMAINS);
  const domains = domainList(domainsRaw).map((name) => ({ name, fields: parseFields(DEFAULT_FIELDS), fieldsSpec: DEFAULT_FIELDS }));
  if (domains.length === 0) throw new UsageError('Give at least one domain with --domains');

  const extras =
    flags.extras !== undefined
      ? parseExtras(flags.extras)
      : interactive
        ? await prompt.multiselect<Extra>({
            message: 'Optional folders',
            options: [
              { value: 'crawlers', label: 'crawlers/', hint: 'scrapers going through utils/http.py' },
              { value: 'schedulers', label: 'schedulers/', hint: 'periodic jobs' },
              { value: 'clients', label: 'clients/', hint: 'typed clients for external APIs' },
              { value: 'workers', label: 'workers/', hint: 'background queue consumers' },
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
              { value: 'postgres', label: 'PostgreSQL', hint: 'asyncpg' },
            ],
            initialValue: 'sqlite',
          })
        : 'sqlite';

  const git = flags.git ?? (interactive ? await prompt.confirm({ message: 'Initialise a git repository?', initialValue: true }) : true);
  const install =
    flags.install ?? (interactive ? await prompt.confirm({ message: 'Install dependencies?', initialValue: true }) : true);

  return {
    directory: resolve(ctx.cwd, directory),
    projectName,
    packageName: pkg,
    domains,
    extras,
    db,
    git,
    install,
    dryRun: flags.dryRun ?? false,
    json: flags.json ?? false,
    force: flags.force ?? false,
  } satisfies CreateOptions;
}
