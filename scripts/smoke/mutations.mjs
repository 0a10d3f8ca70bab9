// The seed's rules, each shown to fire: a careless change a developer might make, applied to a
// generated project, and the gate that must refuse it with the rule's own words. Every mutation
// is undone before the next.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './run.mjs';

/**
 * The mutations for one project: `domains` are its domains (the first one is mutated, the second,
 * when there is one, is the one it must not reach), `extras` its optional folders, `flow` a flow
 * using the first domain only, and `layout` where the domains' files are.
 */
export function mutationsFor({ pkg, domains, extras, flow, layout = 'layer-first' }) {
  const [domain, other] = domains;
  const domainFirst = layout === 'domain-first';
  const service = domainFirst ? `domains/${domain}/service.py` : `services/${domain}.py`;
  const repository = domainFirst ? `domains/${domain}/repository.py` : `repositories/${domain}.py`;
  const handlers = domainFirst ? `domains/${domain}/handlers.py` : `routers/${domain}/handlers.py`;
  // How code reaches a domain's service, and the contract that keeps it from doing so.
  const importService = (name) => (domainFirst ? `from ${pkg}.domains.${name} import service` : `from ${pkg}.services import ${name}`);
  const upward = domainFirst ? /Inside each domain:[\s\S]*?BROKEN/ : /Layers:[\s\S]*?BROKEN/;
  const independent = domainFirst ? /Domains are independent[^\n]*BROKEN/ : /Services of different domains are independent\s*BROKEN/;
  const prepend = (text) => (source) => `${text}\n${source}`;
  const append = (text) => (source) => `${source}\n\n${text}\n`;
  const http = /HTTP stays in the (routers|handlers) and the app[\s\S]*?BROKEN/;
  const banned = (api) => new RegExp(`TID251[^\\n]*\`${api.replaceAll('.', '\\.')}\` is banned`);
  const commits = 'Transactions belong to services';
  const list = [
    ['a service imports fastapi', service, prepend('from fastapi import HTTPException  # noqa: F401'), 'lint-imports', http],
    ['a repository imports starlette', repository, prepend('import starlette.requests  # noqa: F401'), 'lint-imports', http],
    ['a service reads os.environ', service, prepend('import os\n\nTOKEN = os.environ["TOKEN"]'), 'ruff', banned('os.environ')],
    ['a service reads os.getenv', service, prepend('import os\n\nTOKEN = os.getenv("TOKEN")'), 'ruff', banned('os.getenv')],
    ['from os import environ', service, prepend('from os import environ  # noqa: F401'), 'ruff', banned('os.environ')],
    ['from os import getenv', service, prepend('from os import getenv  # noqa: F401'), 'ruff', banned('os.getenv')],
    ['a service uses http.client', service, prepend('import http.client  # noqa: F401'), 'ruff', banned('http.client')],
    ['a service uses urllib3', service, prepend('import urllib3  # noqa: F401'), 'ruff', banned('urllib3')],
    ['a service uses httpx', service, prepend('import httpx  # noqa: F401'), 'ruff', banned('httpx')],
    ['a router uses requests', handlers, prepend('import requests  # noqa: F401'), 'ruff', banned('requests')],
    ['a service uses fastapi.testclient', service, prepend('from fastapi.testclient import TestClient  # noqa: F401'), 'ruff', banned('fastapi.testclient')],
    ['a service uses starlette.testclient', service, prepend('from starlette.testclient import TestClient  # noqa: F401'), 'ruff', banned('starlette.testclient')],
    ['a router writes SQL', handlers, prepend('from sqlalchemy import text  # noqa: F401'), 'lint-imports', /Routers reach the database[\s\S]*?BROKEN/],
    ['a router commits', handlers, append('async def sneaky(session: SessionDep) -> None:\n    await session.commit()'), 'architecture', commits],
    ['a repository commits', repository, append('async def sneaky(session: AsyncSession) -> None:\n    await session.commit()'), 'architecture', commits],
    ['a repository imports a service', repository, prepend(`${importService(domain)}  # noqa: F401`), 'lint-imports', upward],
    ['utils/ gains a module', 'utils/helpers.py', () => '"""Odds and ends."""\n', 'architecture', 'utils/ gained helpers: promote it'],
  ];
  if (other) {
    list.push(
      ['services of two domains', service, prepend(`${importService(other)} as other  # noqa: F401`), 'lint-imports', independent],
      [`a flow imports a service it did not name`, `flows/${flow}.py`, prepend(`${importService(other)} as other  # noqa: F401`), 'lint-imports', new RegExp(`Flow ${flow}[\\s\\S]*?BROKEN`)],
    );
  }
  if (extras.includes('crawlers')) list.push(['a crawler imports fastapi', 'crawlers/public_data.py', prepend('import fastapi  # noqa: F401'), 'lint-imports', http]);
  if (extras.includes('clients')) list.push(['a client uses urllib3', 'clients/status_page.py', prepend('import urllib3  # noqa: F401'), 'ruff', banned('urllib3')]);
  if (extras.includes('workers')) {
    list.push(
      ['a worker commits', 'workers/tasks.py', append('async def sneaky(session: object) -> None:\n    await session.commit()'), 'architecture', commits],
      ['a worker imports a router', 'workers/tasks.py', prepend(`from ${pkg}.routers import api_router  # noqa: F401`), 'lint-imports', /Layers:[\s\S]*?BROKEN/],
      ['a worker imports starlette', 'workers/broker.py', prepend('import starlette.requests  # noqa: F401'), 'lint-imports', http],
    );
  }
  if (extras.includes('schedulers')) {
    list.push(
      ['a scheduler reads os.getenv', 'schedulers/jobs.py', prepend('import os\n\nEVERY = os.getenv("EVERY")'), 'ruff', banned('os.getenv')],
      ['a scheduled job commits', 'schedulers/jobs.py', append('async def sneaky(session: object) -> None:\n    await session.commit()'), 'architecture', commits],
    );
  }
  return list.map(([label, file, change, gate, expected]) => ({ label, file: join('src', pkg, file), change, gate, expected }));
}

const GATES = {
  'lint-imports': ['lint-imports', []],
  ruff: ['ruff', ['check', '.']],
  architecture: ['pytest', ['-q', '-p', 'no:cacheprovider', 'tests/test_architecture.py']],
};

/** Applies `mutation`, runs its gate, undoes it: caught when the gate fails for the expected reason. */
export async function tryMutation(project, venv, env, mutation) {
  const path = join(project, mutation.file);
  const original = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  writeFileSync(path, mutation.change(original ?? ''));
  try {
    const [command, args] = GATES[mutation.gate];
    const result = await run(join(venv, command), args, { cwd: project, env });
    const expected = typeof mutation.expected === 'string' ? result.output.includes(mutation.expected) : mutation.expected.test(result.output);
    return { ...result, ok: !result.ok && expected };
  } finally {
    if (original === undefined) rmSync(path);
    else writeFileSync(path, original);
  }
}
