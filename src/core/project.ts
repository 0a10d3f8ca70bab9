import { parse as parseToml } from 'smol-toml';
import { CliError } from '../errors.js';
import { VERSION } from '../package.js';
import { projectRouters, routerRegistrationLines } from './domain.js';
import { type Database, type Extra, hasJobExamples } from './manifest.js';
import { type DomainName, domainModule, domainName, type Layout } from './names.js';
import type { Plan } from './plan.js';
import { assignment, call, fromImports, importAs, LINE_LENGTH } from './python-source.js';
import { type RenderedFile, renderTree } from './render.js';

/**
 * How the project's tools are typed in a command's next step: through uv where uv installed the
 * project (its uv.lock), else from its .venv, which a new shell has not activated; as they are
 * where neither is there (a project made with --no-install has its tools where the user put them).
 */
export const toolPrefix = (plan: Plan) => (plan.occupied('uv.lock') ? 'uv run ' : plan.occupied('.venv') ? '.venv/bin/' : '');

/** What ruff's settings say of formatting, where they are read. */
interface RuffSettings {
  'line-length'?: unknown;
  'indent-width'?: unknown;
  format?: { 'indent-style'?: unknown; 'quote-style'?: unknown; 'skip-magic-trailing-comma'?: unknown; 'line-ending'?: unknown };
}

/** How the team's ruff formats Python files, where the templates may differ. */
export interface RuffFormat {
  /**
   * The indentation, where it is not the four spaces the templates are written in: a tab
   * (`indent-style = "tab"`) or `indent-width` spaces; new and merged lines are written in it.
   */
  indent?: string;
  /** `line-length`: the templates' lines are printed for 100 (what create writes). */
  lineLength: number;
  /**
   * The settings, as written, under which ruff format prints the templates' lines otherwise,
   * with no way to follow them but ruff format itself: `line-length = 88`, `quote-style = "single"`.
   */
  unfollowed: string[];
}

/** ruff's own line length, where a settings file it reads names none. */
const RUFF_DEFAULT_LINE_LENGTH = 88;

/**
 * The team's ruff format settings, read where ruff reads them, the first file that has them:
 * .ruff.toml, ruff.toml (settings at the top), pyproject.toml ([tool.ruff]). A file that is not
 * TOML says nothing here.
 */
export function ruffFormat(plan: Plan): RuffFormat {
  for (const [file, inPyproject] of [['.ruff.toml', false], ['ruff.toml', false], ['pyproject.toml', true]] as const) {
    const text = plan.read(file);
    if (text === undefined || (inPyproject && !text.includes('[tool.ruff'))) continue;
    // As generated (ruff's format defaults but a line-length of 100): read without parsing the file.
    const lengths = [...text.matchAll(/^[ \t]*line-length[ \t]*=[ \t]*(\S+)/gm)].map((match) => match[1]);
    const asGenerated = lengths.length === 1 && lengths[0] === String(LINE_LENGTH);
    if (asGenerated && !/indent-(?:width|style)|quote-style|skip-magic-trailing-comma|line-ending/.test(text)) return { lineLength: LINE_LENGTH, unfollowed: [] };
    let settings: RuffSettings;
    try {
      const parsed = parseToml(text) as RuffSettings & { tool?: { ruff?: RuffSettings } };
      settings = (inPyproject ? parsed.tool?.ruff : parsed) ?? {};
    } catch {
      return { lineLength: LINE_LENGTH, unfollowed: [] };
    }
    const width = settings['indent-width'];
    const length = settings['line-length'];
    const lineLength = typeof length === 'number' && Number.isInteger(length) && length > 0 ? length : RUFF_DEFAULT_LINE_LENGTH;
    const { 'quote-style': quotes, 'skip-magic-trailing-comma': skipComma, 'line-ending': lineEnding } = settings.format ?? {};
    return {
      indent:
        settings.format?.['indent-style'] === 'tab'
          ? '\t'
          : typeof width === 'number' && Number.isInteger(width) && width > 0 && width !== 4 && width <= 16
            ? ' '.repeat(width)
            : undefined,
      lineLength,
      unfollowed: [
        ...(lineLength === LINE_LENGTH ? [] : [`line-length = ${lineLength}`]),
        ...(quotes === 'single' ? ['quote-style = "single"'] : []),
        ...(skipComma === true ? ['skip-magic-trailing-comma = true'] : []),
        ...(lineEnding === 'cr-lf' ? ['line-ending = "cr-lf"'] : []),
      ],
    };
  }
  return { lineLength: RUFF_DEFAULT_LINE_LENGTH, unfollowed: [`line-length = ${RUFF_DEFAULT_LINE_LENGTH}`] };
}

/** The PostgreSQL server a new --db postgres project's .env.example points at: a local default. */
export const POSTGRES_SERVER = 'postgresql://postgres:postgres@127.0.0.1:5432';

/** What the project's skeleton is rendered from. */
export interface ProjectOptions {
  projectName: string;
  packageName: string;
  db: Database;
  extras: Extra[];
  layout: Layout;
  /**
   * The domains' modules, in the order their routers are registered; the first is the one the
   * workers' and schedulers' example jobs call.
   */
  domains: string[];
}

/**
 * What the workers' and schedulers' examples print: the job that imports an item and the job that
 * counts rows call `domain`'s service, as a router would.
 */
function jobExamples(pkg: string, layout: Layout, domain: DomainName) {
  const own = (role: 'service' | 'schemas') => domainModule(layout, pkg, domain.module, role);
  const domainSchemas: [string, string[]] = [own('schemas'), [`${domain.pascal}Create`]];
  const domainPayload: [string, string[]] = [`test_${domain.module}_api`, ['valid_payload']];
  return {
    domain,
    importHandlerImports: fromImports([
      [`${pkg}.core.errors`, ['error_responses']],
      [`${pkg}.core.queue`, ['EnqueueDep']],
      [`${pkg}.schemas.imports`, ['ImportAccepted']],
      domainSchemas,
    ]),
    taskImports: fromImports([domainSchemas, importAs(own('service'), 'service'), [`${pkg}.workers.broker`, ['TaskSession']]]),
    jobImports: fromImports([
      [`${pkg}.core.config`, ['Schedule']],
      [`${pkg}.schedulers.scheduler`, ['Job']],
      [own('schemas'), [`${domain.pascal}ListQuery`]],
      importAs(own('service'), 'service'),
    ]),
    // The examples' tests post what the domain's own tests build (a module beside them, which
    // ruff's isort counts as first-party with the package), so they follow the domain's fields.
    workersTestImports: fromImports([
      [`${pkg}.core.config`, ['Settings']],
      [`${pkg}.core.db`, ['Database']],
      [`${pkg}.core.queue`, ['enqueue']],
      [`${pkg}.main`, ['create_app']],
      [`${pkg}.workers`, ['create_broker']],
      [`${pkg}.workers.broker`, ['ATTEMPTS', 'DELIVERIES', 'ReclaimingStreamBroker']],
      domainPayload,
    ]),
    schedulersTestImports: fromImports([
      [`${pkg}.core.config`, ['Schedule', 'Settings']],
      [`${pkg}.core.db`, ['Database']],
      [`${pkg}.main`, ['create_app']],
      [`${pkg}.schedulers.jobs`, ['JOBS']],
      [`${pkg}.schedulers.scheduler`, ['Claim', 'Job', 'Scheduler', 'claim_alone', 'claim_in', 'latest_slot', 'run', 'run_forever']],
      [`${pkg}.utils.time`, ['utc_now']],
      domainPayload,
    ]),
  };
}

/** What the project's templates print; `generatorVersion` is the one the project was made by. */
export function projectTemplateData(options: ProjectOptions, generatorVersion = VERSION) {
  const pkg = options.packageName;
  const postgres = options.db === 'postgres';
  const workers = options.extras.includes('workers');
  const schedulers = options.extras.includes('schedulers');
  const [first] = options.domains;
  const defaultDatabaseUrl = postgres
    ? `${POSTGRES_SERVER.replace('postgresql:', 'postgresql+asyncpg:')}/${pkg}`
    : `sqlite+aiosqlite:///./${pkg}.db`;
  if (hasJobExamples(options.extras) && first === undefined) {
    throw new CliError("The workers' and schedulers' example jobs call a domain's service, and the project has no domain left; add one first");
  }
  return {
    projectName: options.projectName,
    packageName: pkg,
    domainFirst: options.layout === 'domain-first',
    extraModules: options.extras.map((extra) => `${pkg}.${extra}`),
    routers: routerRegistrationLines(projectRouters(options, options.domains)),
    workers,
    schedulers,
    // Redis, once configured, carries the jobs, the schedulers' claims and the rate-limit counts.
    broker: workers || schedulers,
    // Servers the generated CI workflow starts for the tests.
    ciServices: postgres || workers || schedulers,
    ...(first === undefined ? {} : jobExamples(pkg, options.layout, domainName(first))),
    envPrefix: `${pkg.toUpperCase()}_`,
    postgres,
    defaultDatabaseUrl,
    // Long package and project names make these lines wrap, as ruff format would.
    defaultDatabaseUrlAssignment: assignment('DEFAULT_DATABASE_URL', `"${defaultDatabaseUrl}"`),
    userAgentSetting: call('    ', 'http: HttpPolicy = HttpPolicy', [`user_agent="${options.projectName}/0.1.0"`]),
    generatorVersion,
  };
}

/**
 * The skeleton's files (the project tree, the router registry, the files only its layout has, its
 * extras), rendered; `generatorVersion` as for projectTemplateData.
 */
export function renderProject(options: ProjectOptions, generatorVersion = VERSION): RenderedFile[] {
  const data = projectTemplateData(options, generatorVersion);
  const trees = ['project', 'registry', `layouts/${options.layout}`, ...options.extras.map((extra) => `extras/${extra}`)];
  return trees.flatMap((tree) => renderTree(tree, data, { __package__: options.packageName }));
}
