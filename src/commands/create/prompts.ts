import { lstatSync, readdirSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, relative, resolve } from 'node:path';
import type { Context } from '../../context.js';
import { CancelledError, CliError, environmentFault, UsageError } from '../../errors.js';
import { DEFAULT_FIELDS, parseFields } from '../../core/fields.js';
import { EXTRAS, type Database, type Extra } from '../../core/manifest.js';
import { derivedPackageName, domainList, type Layout, LAYOUTS, listedNames, packageName, projectDirectory, projectName } from '../../core/names.js';
import type { DomainSpec } from '../../core/domain.js';
import { shellWord } from './steps/next-steps.js';

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
  const listed = listedNames(raw);
  const extras = listed.filter((part) => part !== 'none');
  if (extras.length > 0 && extras.length < listed.length) throw new UsageError(`--extras "${raw}": "none" means no optional folders; give it alone`);
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

/** What the error `check` throws says at a prompt, or undefined: how a prompt validates. */
const problem = (check: () => unknown) => {
  try {
    check();
    return undefined;
  } catch (error) {
    if (error instanceof UsageError) return error.atPrompt;
    if (error instanceof CliError) return error.message;
    // A folder that cannot be listed (a symlink loop, no permission): said at the prompt too.
    const fault = environmentFault(error);
    if (fault !== undefined) return fault;
    throw error;
  }
};

/** The file in the way of a folder that cannot be listed because part of its path is a file. */
function fileInTheWay(directory: string): string {
  let path = directory;
  while (dirname(path) !== path) {
    try {
      if (!statSync(path).isDirectory()) return path;
    } catch {
      // Not there: the file is further up.
    }
    path = dirname(path);
  }
  return directory;
}

/**
 * A symbolic link where the project goes leads to the folder the project is made in, as `cd link`
 * would go there (the project cannot replace the link: a folder is not renamed onto one). A link
 * that leads nowhere is in the way, like a file.
 */
function linkedFolder(directory: string, raw: string): string {
  try {
    if (!lstatSync(directory).isSymbolicLink()) return directory;
  } catch {
    // Not there, or a file in its path: what listing it then says.
    return directory;
  }
  try {
    return realpathSync(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new CliError(`${raw} is a symbolic link to ${readlinkSync(directory)}, which does not exist; choose another place for the project`);
  }
}

/**
 * The target folder: one that does not exist, or an empty one (unless --force); its name must give
 * a project name. Checked at the prompt, so a bad answer is asked again. A file where the folder
 * would go is the environment's, not the command line's: a failure (exit 1) naming that file.
 */
function checkDirectory(raw: string, cwd: string, force: boolean) {
  const given = resolve(cwd, projectDirectory(raw));
  const project = projectName(basename(given));
  const directory = linkedFolder(given, raw);
  let entries: string[] = [];
  try {
    entries = readdirSync(directory);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') {
      const file = fileInTheWay(directory);
      const named = relative(cwd, file);
      throw new CliError(`${named.startsWith('..') ? file : named} is a file, not a folder; choose another place for the project`);
    }
    if (code !== 'ENOENT') throw error;
  }
  if (entries.length > 0 && !force) {
    const more = entries.length > 10 ? ` (and ${entries.length - 10} more)` : '';
    const refusal = `${raw} is not empty; it holds: ${entries.slice(0, 10).join(', ')}${more}. Choose a new or empty folder`;
    throw new UsageError(`${refusal}, or use --force to write into it`, refusal);
  }
  return { directory, project, folder: basename(given) };
}

/**
 * The command as the user started it: through npx (or `npm create`, which runs it), or the
 * installed bin. A package not installed where npx looks (a global install) would be fetched.
 */
const invokedAs = () => (['exec', 'init'].includes(process.env.npm_command ?? '') ? 'npx create-layered-backend' : 'create-layered-backend');

/** The command line that answers what the wizard was told so far, to start again from there. */
const resumeHint = (answers: string[]) =>
  answers.length === 0
    ? `Cancelled; nothing was written. To start again: ${invokedAs()} (--help lists a flag for each question)`
    : `Cancelled; nothing was written. To start again with the answers so far: ${invokedAs()} ${answers.join(' ')}`;

/**
 * Turns partial flags into complete options, asking only for what is missing and only when
 * interactive. Every answer is validated where it is given, and a bad one is asked again.
 */
export async function resolveCreateOptions(flags: CreateFlags, ctx: Pick<Context, 'interactive' | 'prompt' | 'cwd'>): Promise<CreateOptions> {
  const { interactive, prompt } = ctx;
  if (flags.json && !flags.dryRun) throw new UsageError('--json prints the plan of a dry run: add --dry-run');
  if (flags.directory === undefined && !interactive) {
    // Without a terminal (a pipe, a CI job, TERM=dumb) there is no one to ask.
    throw new UsageError('Missing project directory: create-layered-backend <directory> (no terminal to ask it on; run with --help for usage)');
  }
  if (!interactive) return resolveOptions(flags, ctx, []);
  await prompt.intro('create-layered-backend');
  const answered: string[] = [];
  try {
    return await resolveOptions(flags, ctx, answered);
  } catch (error) {
    if (error instanceof CancelledError) throw new CancelledError(resumeHint(answered));
    throw error;
  }
}

/** The flags given on the command line, as the start of the command line that resumes the wizard. */
function givenFlags(flags: CreateFlags): string[] {
  const given = (flag: string, value: string | undefined) => (value === undefined ? [] : [flag, shellWord(value)]);
  return [
    ...(flags.directory === undefined ? [] : [shellWord(flags.directory)]),
    ...given('--name', flags.name),
    ...given('--domains', flags.domains),
    ...given('--extras', flags.extras),
    ...given('--db', flags.db),
    ...given('--layout', flags.layout),
    ...(flags.git === false ? ['--no-git'] : []),
    ...(flags.install === false ? ['--no-install'] : []),
    ...(flags.git === true ? ['--git'] : []),
    ...(flags.install === true ? ['--install'] : []),
    ...(flags.force ? ['--force'] : []),
    ...(flags.dryRun ? ['--dry-run'] : []),
    ...(flags.json ? ['--json'] : []),
  ];
}

/** resolveCreateOptions' questions; each answer the wizard is given is added to `answered` as the flag that gives it. */
async function resolveOptions(flags: CreateFlags, ctx: Pick<Context, 'interactive' | 'prompt' | 'cwd'>, answered: string[]): Promise<CreateOptions> {
  const { interactive, prompt, cwd } = ctx;
  const force = flags.force ?? false;
  answered.push(...givenFlags(flags));
  const asked = async <T>(question: Promise<T>, flag: (answer: T) => string[]) => {
    const answer = await question;
    answered.push(...flag(answer));
    return answer;
  };

  const directoryAnswer =
    flags.directory ??
    (await asked(
      prompt.text({
        message: 'Where should the project go?',
        placeholder: 'my-api',
        validate: (value) => problem(() => checkDirectory(value, cwd, force)),
      }),
      (answer) => [shellWord(answer)],
    ));
  const { directory, project, folder } = checkDirectory(directoryAnswer, cwd, force);
  const derivedNames = project === folder ? [] : [`Project name "${project}", from the folder "${folder}"`];

  let pkg: string;
  if (flags.name !== undefined) pkg = packageName(flags.name);
  else if (interactive) {
    // The name derived from the folder is offered only when it would do; for a folder "os", why not.
    const unfit = problem(() => derivedPackageName(project));
    const suggested = unfit === undefined ? derivedPackageName(project) : undefined;
    const message = unfit === undefined ? 'Python package name' : `Python package name (from the folder: ${unfit})`;
    const question = prompt.text({ message, placeholder: suggested, validate: (value) => problem(() => packageName(value)) });
    pkg = packageName(await asked(question, (answer) => ['--name', shellWord(packageName(answer))]));
  } else {
    pkg = derivedPackageName(project);
    derivedNames.push(`Python package "${pkg}", from the project name`);
  }

  const domainsRaw =
    flags.domains ??
    (interactive
      ? await asked(
          prompt.text({
            message: 'Domains to start with (comma-separated)',
            placeholder: DEFAULT_DOMAINS,
            validate: (value) => problem(() => parseDomains(value)),
          }),
          (answer) => ['--domains', shellWord(answer || DEFAULT_DOMAINS)],
        )
      : DEFAULT_DOMAINS);
  const domains = parseDomains(domainsRaw).map((name) => ({ name, fields: parseFields(DEFAULT_FIELDS), fieldsSpec: DEFAULT_FIELDS }));

  const extras =
    flags.extras !== undefined
      ? parseExtras(flags.extras)
      : interactive
        ? await asked(
            prompt.multiselect<Extra>({
              message: 'Optional folders',
              options: [
                { value: 'crawlers', label: 'crawlers/', hint: 'scrapers going through utils/http.py' },
                { value: 'schedulers', label: 'schedulers/', hint: 'cron and interval jobs, each run once across replicas (Redis)' },
                { value: 'clients', label: 'clients/', hint: 'typed clients for external APIs' },
                { value: 'workers', label: 'workers/', hint: 'a task queue (taskiq): in-process by default, Redis in production' },
              ],
              initialValues: [],
            }),
            (answer) => ['--extras', answer.length === 0 ? 'none' : answer.join(',')],
          )
        : [];

  const db =
    flags.db !== undefined
      ? parseDb(flags.db)
      : interactive
        ? await asked(
            prompt.select<Database>({
              message: 'Database',
              options: [
                { value: 'sqlite', label: 'SQLite', hint: 'embedded, nothing to run' },
                { value: 'postgres', label: 'PostgreSQL', hint: 'asyncpg; a server to run' },
              ],
              initialValue: 'sqlite',
            }),
            (answer) => ['--db', answer],
          )
        : 'sqlite';

  // Not asked: layer-first is where the seed starts, and `flip` moves a project later.
  const layout = flags.layout === undefined ? 'layer-first' : parseLayout(flags.layout);

  const git =
    flags.git ??
    (interactive ? await asked(prompt.confirm({ message: 'Initialise a git repository?', initialValue: true }), (answer) => (answer ? [] : ['--no-git'])) : true);
  const install =
    flags.install ??
    (interactive
      ? await asked(prompt.confirm({ message: 'Install the Python dependencies now?', initialValue: true }), (answer) => (answer ? [] : ['--no-install']))
      : true);

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
