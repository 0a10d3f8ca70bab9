import { parse as parseToml } from 'smol-toml';
import { CliError } from '../errors.js';
import { occupiedBy, type ProjectPlace, registerRouter, sharedRouterRegistration, unregisterRouter } from './domain.js';
import type { Manifest } from './manifest.js';
import { domainModule, domainName, type FlowName } from './names.js';
import { byCodePoint } from './order.js';
import type { Plan } from './plan.js';
import { definition, fromImport, fromImports, importAs } from './python-source.js';
import { renderTree } from './render.js';
import { inLineEndingsOf } from './source-text.js';
import { refuseBrokenToml } from './transaction.js';

/**
 * A flow (flows/<name>.py): a rule across domains, with its response model, a router, a test, and
 * an import-linter contract in pyproject.toml that lets it import the services of exactly the
 * domains it names.
 */

export const PYPROJECT = 'pyproject.toml';

const contractName = (flow: string) => `Flow ${flow}: the services it names and no other`;

/**
 * The contract, as a TOML block appended to pyproject.toml (an array of tables may grow anywhere).
 * Every domain's service is forbidden but those it names: services/ in layer-first, each
 * domains/<domain>/service.py in domain-first.
 */
export function contractBlock(place: ProjectPlace, flow: string, uses: string[]): string {
  const { packageName, layout } = place;
  const source = `${packageName}.flows.${flow}`;
  const services = layout === 'domain-first' ? `${packageName}.domains.*.service` : `${packageName}.services`;
  return [
    '',
    '[[tool.importlinter.contracts]]',
    `name = "${contractName(flow)}"`,
    'type = "forbidden"',
    `source_modules = ["${source}"]`,
    `forbidden_modules = ["${services}"]`,
    'ignore_imports = [',
    ...uses.map((domain) => `    "${source} -> ${domainModule(layout, packageName, domain, 'service')}",`),
    ']',
    // A flow that stops using one of its services is no breach.
    'unmatched_ignore_imports_alerting = "none"',
    `broken_contract_guidance = "A flow imports the services it names: add the import to this contract's ignore_imports in pyproject.toml if ${flow} should use that domain too."`,
    '',
  ].join('\n');
}

/**
 * The lines of the contract block named for `flow`: from its table header up to the next one, the
 * blank lines and comments before that one left out (they part it from the next block, as
 * contractBlock put a blank line before each, or are the user's notes on what follows).
 */
export function contractLines(text: string, flow: string): [start: number, end: number] | undefined {
  const lines = text.split('\n');
  const named = lines.findIndex((line) => line.trim() === `name = "${contractName(flow)}"`);
  if (named < 1 || lines[named - 1]?.trim() !== '[[tool.importlinter.contracts]]') return undefined;
  let end = named + 1;
  while (end < lines.length && !/^\s*\[/.test(lines[end] as string)) end += 1;
  // Blank lines and comments after it part it from what follows: the user's, not the contract's.
  while (end > named + 1 && /^\s*(#.*)?\r?$/.test(lines[end - 1] as string)) end -= 1;
  return [named - 1, end];
}

export function flowTemplateData(place: ProjectPlace, flow: FlowName, uses: string[]) {
  const pkg = place.packageName;
  const domains = uses.map((module) => domainName(module));
  const module = (domain: string, role: 'schemas' | 'service') => domainModule(place.layout, pkg, domain, role);
  return {
    packageName: pkg,
    flow,
    uses: domains,
    overviewSignature: definition(`async def ${flow.module}_overview`, ['session: SessionDep'], `${flow.pascal}Overview`),
    // The tests make rows through each domain's own test helper, which knows what a row needs.
    testImports: domains.map((domain) => fromImport(`test_${domain.module}_api`, [`create_${domain.singular}`])).sort(byCodePoint),
    imports: fromImports([
      [`${pkg}.schemas.${flow.module}`, [`${flow.pascal}Overview`]],
      ...domains.map((domain): [string, string[]] => [module(domain.module, 'schemas'), [`${domain.pascal}ListQuery`]]),
      // Each service under its domain's name, as the flow's body calls it.
      ...uses.map((domain) => importAs(module(domain, 'service'), domain)),
    ]),
    handlerImports: fromImports([
      [`${pkg}.core.db`, ['SessionDep']],
      [`${pkg}.core.errors`, ['error_responses']],
      [`${pkg}.flows`, [`${flow.module} as flow`]],
      [`${pkg}.schemas.${flow.module}`, [`${flow.pascal}Overview`]],
    ]),
  };
}

/**
 * Whether one of the package's layers contracts has a flows layer, as import-linter reads it: a
 * layer of its own, optional (`(flows)`), or beside others (`flows | x`, `flows : x`), however the
 * file is spelled (quotes, a list on one line, full module names without `containers`). `text` is
 * TOML (refuseBrokenToml saw to it).
 */
export function hasFlowsLayer(text: string, packageName: string): boolean {
  const contracts = (parseToml(text) as { tool?: { importlinter?: { contracts?: unknown } } }).tool?.importlinter?.contracts;
  if (!Array.isArray(contracts)) return false;
  return contracts.some((contract: { type?: unknown; containers?: unknown; layers?: unknown }) => {
    if (contract?.type !== 'layers' || !Array.isArray(contract.layers)) return false;
    // Layers are named inside their containers, or in full where a contract has none.
    const flows = contract.containers === undefined ? `${packageName}.flows` : 'flows';
    if (contract.containers !== undefined && !(Array.isArray(contract.containers) && contract.containers.includes(packageName))) return false;
    return contract.layers.some(
      (layer) => typeof layer === 'string' && layer.split(/[|:]/).some((module) => module.trim().replace(/^\((.*)\)$/, '$1').trim() === flows),
    );
  });
}

/** Plans the flow's files, its router's registration and its contract. Returns the files it would replace. */
export async function planFlow(plan: Plan, manifest: Manifest, flow: FlowName, uses: string[]): Promise<string[]> {
  const pkg = manifest.options.packageName;
  const files = renderTree('flow', flowTemplateData(manifest.options, flow, uses), { __package__: pkg, __flow__: flow.module });
  const replaced = files.flatMap((file) => occupiedBy(plan, file.path));
  for (const file of files) plan.generate(file);
  await registerRouter(plan, manifest, sharedRouterRegistration(pkg, flow.module));
  const pyproject = plan.read(PYPROJECT);
  if (pyproject === undefined) throw new CliError(`${PYPROJECT} is missing`);
  refuseBrokenToml(PYPROJECT, pyproject);
  if (!hasFlowsLayer(pyproject, pkg)) {
    throw new CliError(`${PYPROJECT}'s layers contract has no flows layer: add "(flows)" between the routers and the services, then run again`);
  }
  if (!contractLines(pyproject, flow.module)) {
    // In the file's line endings: a CRLF checkout (git's autocrlf) stays CRLF throughout.
    const block = inLineEndingsOf(pyproject, contractBlock(manifest.options, flow.module, uses));
    plan.write(PYPROJECT, `${pyproject.replace(/(\r?\n)*$/, pyproject.includes('\r\n') ? '\r\n' : '\n')}${block}`);
  }
  manifest.flows[flow.module] = { uses, files: files.map((file) => file.path).sort(byCodePoint) };
  return replaced;
}

/**
 * Takes the flow's router registration and its contract out again (its files are the caller's).
 * A contract with lines the user changed (an import they allowed in ignore_imports, a comment) is
 * refused unless `force`: deleting it would lose those lines, and keeping it would leave a contract
 * for a flow that is gone.
 */
export async function unplanFlow(plan: Plan, manifest: Manifest, flow: string, force: boolean): Promise<void> {
  await unregisterRouter(plan, manifest, sharedRouterRegistration(manifest.options.packageName, flow));
  const pyproject = plan.read(PYPROJECT);
  if (pyproject !== undefined) refuseBrokenToml(PYPROJECT, pyproject);
  const block = pyproject === undefined ? undefined : contractLines(pyproject, flow);
  if (pyproject !== undefined && block) {
    const lines = pyproject.split('\n');
    const [start, end] = block;
    const written = contractBlock(manifest.options, flow, manifest.flows[flow]?.uses ?? []).split('\n').slice(1, -1);
    const changed = lines.slice(start, end).some((line, index) => line.replace(/\r$/, '') !== written[index]) || end - start !== written.length;
    if (changed && !force) {
      throw new CliError(`${PYPROJECT}:${start + 1}-${end} holds the contract of the flow ${flow}, with lines you changed since add-flow wrote it: --force removes it with them`);
    }
    // The block and the blank line contractBlock put before it.
    const from = start > 0 && lines[start - 1]?.trim() === '' ? start - 1 : start;
    lines.splice(from, end - from);
    plan.write(PYPROJECT, lines.join('\n'));
  }
}
