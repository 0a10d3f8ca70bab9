// Live boot: migrate, start the generated app with uvicorn on a free 127.0.0.1 port, and talk to it
// over real HTTP. Bounded: a 30 s start-up deadline and a fixed handful of requests, then
// optionally schemathesis with a fixed seed and a bounded number of examples per operation.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

function expect(condition, message) {
  if (!condition) throw new Error(message);
}

export async function waitForHealth(base, server, deadline) {
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`uvicorn exited with ${server.exitCode}`);
    try {
      if ((await fetch(`${base}/health`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, 150));
  }
  throw new Error('no answer on /health within 30 s');
}

export async function call(base, method, path, body) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/** CRUD over one `name:str` domain, and every domain's routes (and no removed one's) in the OpenAPI. */
async function exercise(base, manifest, absent) {
  const paths = Object.keys((await call(base, 'GET', '/openapi.json')).body.paths);
  for (const domain of Object.keys(manifest.domains)) {
    const prefix = `/${domain.replaceAll('_', '-')}`;
    expect(paths.includes(prefix), `OpenAPI lacks ${prefix}`);
    expect(paths.some((path) => new RegExp(`^${prefix}/\\{[a-z0-9_]+_id\\}$`).test(path)), `OpenAPI lacks ${prefix}/{id}`);
  }
  for (const domain of absent) {
    const prefix = `/${domain.replaceAll('_', '-')}`;
    expect(!paths.some((path) => path.startsWith(prefix)), `OpenAPI still has removed ${prefix}`);
  }

  // A domain whose only required field is name:str (the others optional or with defaults).
  const nameOnly = (fields) => fields.startsWith('name:str') && fields.split(', ').slice(1).every((field) => /[?=]/.test(field));
  const [domain] = Object.entries(manifest.domains).find(([, spec]) => nameOnly(spec.fields)) ?? [];
  expect(domain, 'no domain with the default fields to exercise');
  const prefix = `/${domain.replaceAll('_', '-')}`;
  const created = await call(base, 'POST', prefix, { name: 'smoke' });
  expect(created.status === 201 && created.body.name === 'smoke', `POST ${prefix}: ${created.status}`);
  const item = `${prefix}/${created.body.id}`;
  const read = await call(base, 'GET', item);
  expect(read.status === 200 && read.body.id === created.body.id, `GET ${item}: ${read.status}`);
  const list = await call(base, 'GET', `${prefix}?limit=10`);
  expect(list.status === 200 && list.body.items.some((row) => row.id === created.body.id), `GET ${prefix}: ${list.status}`);
  const updated = await call(base, 'PATCH', item, { name: 'changed' });
  expect(updated.status === 200 && updated.body.name === 'changed', `PATCH ${item}: ${updated.status}`);
  expect((await call(base, 'DELETE', item)).status === 204, `DELETE ${item}`);
  const gone = await call(base, 'GET', item);
  expect(gone.status === 404 && gone.body.code === 'not_found', `GET after DELETE: ${gone.status}`);
  // A row that stays, for the check that the test suite leaves the app's data alone.
  expect((await call(base, 'POST', prefix, { name: 'kept' })).status === 201, `POST ${prefix} (kept)`);
  await exerciseRelations(base, manifest);
}

/**
 * The smoke's add-field columns, where a domain has them: `customer:ref(<domain>)?` (RESTRICT),
 * `code:str!?` and `status:str+=new`. A reference to no row and a taken code are 409s, each naming
 * its field; a referenced row cannot be deleted (409); the list filters on status.
 */
async function exerciseRelations(base, manifest) {
  const found = Object.entries(manifest.domains).find(([, spec]) => /(^|, )customer:ref\(/.test(spec.fields));
  if (!found) return;
  const [domain, spec] = found;
  const target = /customer:ref\(([a-z0-9_]+)/.exec(spec.fields)[1];
  const prefix = `/${domain.replaceAll('_', '-')}`;
  const targetPrefix = `/${target.replaceAll('_', '-')}`;
  const names = (body) => body?.details?.map((detail) => detail.loc.at(-1)) ?? [];

  const customer = await call(base, 'POST', targetPrefix, { name: 'customer' });
  expect(customer.status === 201, `POST ${targetPrefix}: ${customer.status}`);
  const code = spec.fields.includes('code:str!') ? { code: `c-${customer.body.id}` } : {};
  const row = await call(base, 'POST', prefix, { name: 'related', customer_id: customer.body.id, ...code });
  expect(row.status === 201 && row.body.customer_id === customer.body.id && row.body.status === 'new', `POST ${prefix} with a customer: ${row.status} ${JSON.stringify(row.body)}`);

  const dangling = await call(base, 'POST', prefix, { name: 'dangling', customer_id: 2_000_000_000 });
  expect(dangling.status === 409 && names(dangling.body).includes('customer_id'), `POST ${prefix} naming no row: ${dangling.status} ${JSON.stringify(dangling.body)}`);
  if (code.code) {
    const taken = await call(base, 'POST', prefix, { name: 'again', ...code });
    expect(taken.status === 409 && names(taken.body).includes('code'), `POST ${prefix} with a taken code: ${taken.status} ${JSON.stringify(taken.body)}`);
  }

  const filtered = await call(base, 'POST', prefix, { name: 'filtered', status: 'shipped' });
  expect(filtered.status === 201, `POST ${prefix} status=shipped: ${filtered.status}`);
  const shipped = await call(base, 'GET', `${prefix}?status=shipped&limit=100`);
  expect(shipped.status === 200 && shipped.body.items.length > 0 && shipped.body.items.every((item) => item.status === 'shipped'), `GET ${prefix}?status=shipped: ${JSON.stringify(shipped.body)}`);

  if (domain !== target) {
    const held = await call(base, 'DELETE', `${targetPrefix}/${customer.body.id}`);
    expect(held.status === 409 && held.body.code === 'conflict', `DELETE a referenced ${target} row: ${held.status} ${JSON.stringify(held.body)}`);
  }
  for (const path of [`${prefix}/${row.body.id}`, `${prefix}/${filtered.body.id}`, `${targetPrefix}/${customer.body.id}`]) {
    expect((await call(base, 'DELETE', path)).status === 204, `DELETE ${path}`);
  }
}

/**
 * Every check schemathesis has (`--checks all`): no 5xx, only documented statuses, bodies and
 * headers as documented, schema-valid data accepted and invalid data refused, Allow on 405,
 * resources reachable after creation and gone after deletion (stateful phase, inferred links).
 * 25 examples per operation and phase, seed fixed: each run takes ~10-15 s and is reproducible.
 */
async function fuzz(schemathesis, base, project) {
  const started = Date.now();
  const args = ['run', `${base}/openapi.json`, '--checks', 'all', '--max-examples', '25', '--seed', '1', '--request-timeout', '10'];
  // Asynchronous, so that this process keeps draining uvicorn's output meanwhile. In the project
  // (a temporary folder), where schemathesis keeps its .schemathesis cache of earlier failures.
  const child = spawn(schemathesis, args, { cwd: project, env: { ...process.env, NO_COLOR: '1' } });
  const output = [];
  child.stdout.on('data', (chunk) => output.push(String(chunk)));
  child.stderr.on('data', (chunk) => output.push(String(chunk)));
  const code = await new Promise((resolveExit) => child.on('close', resolveExit));
  return { ok: code === 0, seconds: (Date.now() - started) / 1000, output: output.join('') };
}

/**
 * Returns { ok, output } like the other smoke steps; with `schemathesis` (its executable), also
 * `fuzzed`, the schemathesis run against the same live app, as another step's result.
 */
export async function liveBoot(project, env, absent = [], schemathesis = undefined) {
  const started = Date.now();
  const manifest = JSON.parse(readFileSync(join(project, '.create-layered-backend.json'), 'utf8'));
  const venv = join(project, '.venv', 'bin');
  const output = [];
  const migrate = spawn(join(venv, 'alembic'), ['upgrade', 'head'], { cwd: project, env });
  migrate.stderr.on('data', (chunk) => output.push(String(chunk)));
  const migrated = await new Promise((resolveExit) => migrate.on('exit', resolveExit));
  if (migrated !== 0) return { ok: false, output: `alembic upgrade head failed\n${output.join('')}` };

  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server = spawn(join(venv, 'uvicorn'), [`${manifest.options.packageName}.main:app`, '--host', '127.0.0.1', '--port', String(port)], {
    cwd: project,
    env,
  });
  server.stdout.on('data', (chunk) => output.push(String(chunk)));
  server.stderr.on('data', (chunk) => output.push(String(chunk)));
  try {
    await waitForHealth(base, server, Date.now() + 30_000);
    await exercise(base, manifest, absent);
    const seconds = (Date.now() - started) / 1000;
    return { ok: true, output: '', seconds, fuzzed: schemathesis ? await fuzz(schemathesis, base, project) : undefined };
  } catch (error) {
    return { ok: false, output: `${error.message}\n${output.join('').slice(-3000)}` };
  } finally {
    server.kill('SIGTERM');
    await new Promise((resolveExit) => (server.exitCode !== null ? resolveExit() : server.on('exit', resolveExit)));
  }
}
