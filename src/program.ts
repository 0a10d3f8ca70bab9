import { Command, Option } from 'commander';
import { type Context, stderrColors } from './context.js';
import { findProjectRoot } from './core/manifest.js';
import { UsageError } from './errors.js';
import { VERSION } from './package.js';

/** Optimal string alignment distance: the edits (a swap counts as one) that turn `a` into `b`. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]) as number[][];
  for (let j = 1; j <= b.length; j += 1) (d[0] as number[])[j] = j;
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      const row = d[i] as number[];
      const previous = d[i - 1] as number[];
      row[j] = Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j], (d[i - 2] as number[])[j - 2] + 1);
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

const USAGE_HINT = '(run with --help for usage)';

/** How a field is written, for add-domain's and add-field's help (core/fields.ts parses it). */
export const FIELDS_HELP = `
Fields: name:type, comma-separated; after the type, any of
  ?         optional (may be null)
  !         unique (a second row with the same value is a 409 naming it)
  +         indexed, and an exact-match filter on the list endpoint
  =value    a default, also the column's server default (quote one that
            holds a comma: note:str="a, b")
Types: str (up to 255 characters), text, int (32-bit), float, bool,
  decimal (10 digits before the point, 2 after), date, datetime (in UTC;
  no default), uuid (no default), ref(<domain>) or
  ref(<domain>, on_delete=restrict|cascade|set_null): a <name>_id column
  holding a row of that domain (indexed; set_null needs ref(...)?)
Example: "title:str, sku:str!, price:decimal=0, in_stock:bool+=true,
  notes:text?, owner:ref(users)"`;

/** The words that name a command, `help` included. */
const commandWords = (program: Command) => [...program.commands.map((command) => command.name()), 'help'];

/**
 * A bare word where a directory goes is read as a directory only when it cannot be a mistyped
 * command: `adddomain` is refused with a suggestion, and so is any bare word inside a project,
 * where a new project is rarely what was meant. A path (`./name`, `.`) always names a directory.
 */
function refuseCommandLikeWord(word: string, commands: string[], cwd: string): void {
  if (/[\\/]/.test(word) || word.startsWith('.')) return;
  const squeeze = (text: string) => text.toLowerCase().replace(/[^a-z]/g, '');
  // The nearest command: `hlep` is one swap from help, two edits from flip.
  const distances = commands.map((command) => ({
    command,
    distance: squeeze(command) === squeeze(word) ? 0 : editDistance(command, word.toLowerCase()),
  }));
  const near = distances.sort((a, b) => a.distance - b.distance).find(({ distance }) => distance <= 2)?.command;
  if (near) throw new UsageError(`"${word}" is not a command; did you mean "${near}"? (For a project of that name: ./${word})`);
  let root: string | undefined;
  try {
    root = findProjectRoot(cwd);
  } catch {
    return;
  }
  throw new UsageError(
    `You are inside the project ${root}, and "${word}" is not a command (${commands.join(', ')}). To create a project within it anyway: ./${word}`,
  );
}

/**
 * The command line. Each command's module is imported inside its action, so `--help` and
 * `--version` load commander and nothing else.
 */
function buildProgram(ctx: Context): Command {
  const program = new Command('create-layered-backend')
    .description('Scaffold a layered FastAPI backend that enforces its own architecture.')
    .version(VERSION, '-v, --version')
    .argument('[directory]', 'where to create the project')
    .option('--name <package>', 'Python package name (default: from the directory, my-api -> my_api)')
    .option('--domains <list>', 'initial domains, comma-separated (default: users,orders)')
    .option('--extras <list>', 'optional folders: crawlers,schedulers,clients,workers (default: none)')
    .addOption(new Option('--db <database>', 'database (default: sqlite)').choices(['sqlite', 'postgres']))
    .addOption(
      new Option('--layout <layout>', 'folders per layer, or a package per domain (default: layer-first)').choices(['layer-first', 'domain-first']),
    )
    .option('--git', 'initialise a git repository (default)')
    .option('--no-git', 'skip git init')
    .option('--install', 'install dependencies with uv or pip (default)')
    .option('--no-install', 'skip installing dependencies')
    .option('-y, --yes', 'accept defaults for everything not given; never prompt')
    .option('--dry-run', 'print the files it would write and write nothing')
    .option('--json', 'with --dry-run: print the plan as JSON')
    .option('--force', 'write into a non-empty directory (says what it overwrites first)')
    // A usage error is one line: commander's message (with its "Did you mean" on the same line), then the hint.
    // One line, red like the CLI's own errors.
    .configureOutput({ outputError: (message, write) => write(`${stderrColors.red(`${message.trim().replace(/\s*\n\s*/g, ' ')} ${USAGE_HINT}`)}\n`) })
    // `create-layered-backend help [command]`, as commander's own programs have it.
    .helpCommand(true)
    // "[options]" on each command's line took the first column past what commander wraps in 80
    // columns, so every description ran on to 150; each command's own --help lists its options.
    .configureHelp({ subcommandTerm: (command) => `${command.name()} ${command.usage().replace(/^\[options\] ?/, '')}`.trim() })
    .addHelpText(
      'after',
      '\nExit codes: 0 success, 1 failure (one line says why), 2 usage error,\n130 cancelled (Ctrl-C), 143 terminated (SIGTERM).',
    )
    // Subcommands own their --dry-run, --json and --force; the create flags go before a subcommand.
    .enablePositionalOptions()
    .action(async (directory: string | undefined, flags: Record<string, unknown>, command: Command) => {
      // Also here: options may come before the directory.
      if (directory !== undefined) refuseCommandLikeWord(directory, commandWords(program), ctx.cwd);
      if (command.args.length > 1) {
        throw new UsageError(`Too many arguments: a new project takes one directory, not ${command.args.map((arg) => `"${arg}"`).join(' ')} ${USAGE_HINT}`);
      }
      const { runCreate } = await import('./commands/create/index.js');
      await runCreate({ directory, ...flags }, { ...ctx, interactive: ctx.interactive && !flags.yes });
    });

  program
    .command('add-domain <name>')
    .description('add a domain across routers, services, repositories, schemas and tests')
    .option('--fields <spec>', 'columns, e.g. "title:str, price:decimal, in_stock:bool=true, notes:text?" (see Fields below)')
    .option('--dry-run', 'print the changes and write nothing')
    .option('--json', 'with --dry-run: print the plan as JSON')
    .option('--force', 'overwrite files in the way (says which first)')
    .addHelpText('after', FIELDS_HELP)
    .action(async (name: string, flags: { fields?: string; dryRun?: boolean; json?: boolean; force?: boolean }) => {
      // No parser started here: a domain's files are renderings the build parsed, and a registry
      // and migrations still as generated are read by their printed shape. Only a project changed
      // by hand needs the Python grammar, which the first edit then loads.
      const { runAddDomain } = await import('./commands/add-domain/index.js');
      await runAddDomain({ name, ...flags }, ctx);
    });

  program
    .command('remove-domain <name>')
    .description('remove a domain generated by add-domain or create, if its files are unchanged')
    .option('--dry-run', 'print the changes and write nothing')
    .option('--json', 'with --dry-run: print the plan as JSON')
    .option('--force', 'also remove files edited since they were generated')
    .option('--purge', 'delete its create migration instead of adding a drop migration (only if it never ran anywhere)')
    .action(async (name: string, flags: { dryRun?: boolean; json?: boolean; force?: boolean; purge?: boolean }) => {
      const { runRemoveDomain } = await import('./commands/remove-domain/index.js');
      await runRemoveDomain({ name, ...flags }, ctx);
    });

  program
    .command('add-field <domain> <fields>')
    .description('add fields to a domain: schemas, table, tests and a migration, merged with your changes')
    .option('--dry-run', 'print the changes and write nothing')
    .option('--json', 'with --dry-run: print the plan as JSON')
    .addHelpText('after', FIELDS_HELP)
    .action(async (domain: string, fields: string, flags: { dryRun?: boolean; json?: boolean }) => {
      // Compiling the Python grammar (for the syntax-tree edits) overlaps with loading the command.
      void import('./core/python-edit.js').then((edit) => edit.warmUpPythonParser());
      const { runAddField } = await import('./commands/add-field/index.js');
      await runAddField({ domain, fields, ...flags }, ctx);
    });

  program
    .command('remove-field <domain> <field>')
    .description('remove a field from a domain, with a migration that drops its column')
    .option('--dry-run', 'print the changes and write nothing')
    .option('--json', 'with --dry-run: print the plan as JSON')
    .option('--force', 'remove it even while code uses it (lists the uses, to fix by hand)')
    .action(async (domain: string, field: string, flags: { dryRun?: boolean; json?: boolean; force?: boolean }) => {
      void import('./core/python-edit.js').then((edit) => edit.warmUpPythonParser());
      const { runRemoveField } = await import('./commands/remove-field/index.js');
      await runRemoveField({ domain, field, ...flags }, ctx);
    });

  program
    .command('add-flow <name>')
    .description('add a rule across domains: flows/<name>.py, a router, a test and its import contract')
    .option('--uses <domains>', 'the domains whose services the flow may call, comma-separated')
    .option('--dry-run', 'print the changes and write nothing')
    .option('--json', 'with --dry-run: print the plan as JSON')
    .option('--force', 'overwrite files in the way (says which first)')
    .action(async (name: string, flags: { uses?: string; dryRun?: boolean; json?: boolean; force?: boolean }) => {
      void import('./core/python-edit.js').then((edit) => edit.warmUpPythonParser());
      const { runAddFlow } = await import('./commands/add-flow/index.js');
      await runAddFlow({ name, ...flags }, ctx);
    });

  program
    .command('remove-flow <name>')
    .description('remove a flow made by add-flow, if its files are unchanged')
    .option('--dry-run', 'print the changes and write nothing')
    .option('--json', 'with --dry-run: print the plan as JSON')
    .option('--force', 'also remove files edited since they were generated')
    .action(async (name: string, flags: { dryRun?: boolean; json?: boolean; force?: boolean }) => {
      const { runRemoveFlow } = await import('./commands/remove-flow/index.js');
      await runRemoveFlow({ name, ...flags }, ctx);
    });

  program
    .command('upgrade')
    .description('bring the project to this version\'s templates, merging them with your changes')
    .option('--base <package>', "the project's version of create-layered-backend (a tarball or a built checkout), for three-way merges")
    .option('--to <version>', 'the version to upgrade to: this one (a guard for scripts)')
    .option('--dry-run', 'print the changes and write nothing')
    .option('--json', 'with --dry-run: print the plan as JSON')
    .action(async (flags: { base?: string; to?: string; dryRun?: boolean; json?: boolean }) => {
      void import('./core/python-edit.js').then((edit) => edit.warmUpPythonParser());
      const { runUpgrade } = await import('./commands/upgrade/index.js');
      await runUpgrade(flags, ctx);
    });

  program
    .command('flip')
    .description('move the project to the other layout: layer-first (folders per layer) <-> domain-first (a package per domain)')
    .option('--map <from=to>', 'where a module of yours goes that is neither a domain file nor shared (repeatable)', (value: string, list: string[]) => [...list, value], [])
    .option('--dry-run', 'print the changes and write nothing')
    .option('--json', 'with --dry-run: print the plan as JSON')
    .action(async (flags: { map?: string[]; dryRun?: boolean; json?: boolean }) => {
      void import('./core/python-edit.js').then((edit) => edit.warmUpPythonParser());
      const { runFlip } = await import('./commands/flip/index.js');
      await runFlip(flags, ctx);
    });

  // The top level counts its arguments in its action, after a mistyped command (`adddomain
  // products`) has had its suggestion. Set last: commands made after it would inherit it.
  return program.allowExcessArguments();
}

/**
 * Runs a command line as a user typed it and returns the command it ran (`create` for the top
 * level). Errors are thrown (commander prints its own usage errors first): the caller decides
 * what they mean, as main turns them into exit codes.
 */
export async function runCommandLine(argv: string[], ctx: Context): Promise<string> {
  const program = buildProgram(ctx).exitOverride();
  let ran = 'create';
  program.hook('preAction', (_program, action) => {
    if (action !== program) ran = action.name();
  });
  for (const command of program.commands) command.exitOverride();
  // A mistyped command with its options (`adddomain products --fields ...`) is told so before
  // commander refuses the options it does not know at the top level.
  const [first, second] = argv;
  const commands = commandWords(program);
  if (first !== undefined && !first.startsWith('-') && !commands.includes(first)) refuseCommandLikeWord(first, commands, ctx.cwd);
  if (first === 'help' && second !== undefined && !second.startsWith('-') && !commands.includes(second) && second !== 'create') {
    throw new UsageError(`"${second}" is not a command (${[...commands, 'create'].join(', ')}); see create-layered-backend --help`);
  }
  // `help create` is the top level's help (create is what it does), and so is `help help`;
  // commander would print either as an error. `--help add-domain` is add-domain's, as with git.
  const commandHelp = (first === '--help' || first === '-h') && second !== undefined && second !== 'help' && commands.includes(second);
  const args = first === 'help' && (second === 'create' || second === 'help') ? ['--help', ...argv.slice(2)] : commandHelp ? [second, '--help', ...argv.slice(2)] : argv;
  // Options before a command are the top level's, create's: `--dry-run remove-domain orders` ran
  // remove-domain for real. Refused, saying where they go.
  program.hook('preSubcommand', (_program, command) => {
    const name = command.name();
    const leading = args.slice(0, args.indexOf(name)).filter((arg) => arg !== '--');
    if (leading.length === 0 || name === 'help') return;
    const flags = leading.filter((arg) => arg.startsWith('-'));
    const takes = (flag: string) => command.options.some((option) => [option.long, option.short].includes(flag.split('=')[0]));
    const [movable, foreign] = [flags.filter(takes), flags.filter((flag) => !takes(flag))];
    throw new UsageError(
      [
        `${leading.join(' ')} before "${name}" ${leading.length === 1 ? 'is' : 'are'} read as options of creating a project; nothing ran.`,
        ...(foreign.length > 0 ? [`${name} takes no ${foreign.join(', ')}.`] : []),
        ...(movable.length > 0 ? [`Put ${movable.join(' ')} after the command: create-layered-backend ${name} ... ${movable.join(' ')}`] : []),
      ].join(' '),
    );
  });
  await program.parseAsync(args, { from: 'user' });
  return ran;
}
