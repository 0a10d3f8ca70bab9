import { appendFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { chmod, lstat, mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  applyChanges,
  JOURNAL_DIR,
  nodeFileSystem,
  readJournal,
  rollBackJournal,
  writeNewFolder,
  type FileSystem,
} from '../../src/core/apply.js';
import { Plan } from '../../src/core/plan.js';
import { tempDir } from '../helpers.js';
import { snapshotTree } from '../tree.js';

/** A file system whose n-th `operation` fails (and, with `stuck`, every later one too), as EIO would. */
function failingOn(operation: keyof FileSystem, n: number, stuck = false): FileSystem {
  let calls = 0;
  return {
    ...nodeFileSystem,
    [operation]: (...args: never[]) => {
      calls += 1;
      if (calls === n || (stuck && calls > n)) throw Object.assign(new Error('EIO: simulated failure'), { code: 'EIO' });
      (nodeFileSystem[operation] as (...a: never[]) => void)(...args);
    },
  };
}

/** A file system that stops working at the commit, as a run killed there would: every step taken, none undone. */
function dyingAtCommit(): FileSystem {
  let dead = false;
  const io = { ...nodeFileSystem };
  for (const [name, operation] of Object.entries(nodeFileSystem) as Array<[keyof FileSystem, (...args: never[]) => void]>) {
    io[name] = (...args: never[]) => {
      dead ||= name === 'unlink';
      if (dead) throw Object.assign(new Error('EIO: simulated failure'), { code: 'EIO' });
      operation(...args);
    };
  }
  return io;
}

async function projectWithFiles(): Promise<string> {
  const root = await tempDir();
  await mkdir(join(root, 'src/old/__pycache__'), { recursive: true });
  await writeFile(join(root, 'src/app.py'), 'original\n');
  await chmod(join(root, 'src/app.py'), 0o750);
  await writeFile(join(root, 'src/old/gone.py'), 'old\n');
  await writeFile(join(root, 'src/old/__pycache__/gone.cpython-311.pyc'), 'bytecode');
  return root;
}

function planOn(root: string): Plan {
  const plan = new Plan(root);
  plan.write('src/new/module.py', 'new\n');
  plan.write('src/app.py', 'edited\n');
  plan.delete('src/old/gone.py');
  plan.write('z-last.txt', 'last\n');
  return plan;
}

const AFTER = { 'src/app.py': 'edited\n', 'src/new/module.py': 'new\n', 'z-last.txt': 'last\n' };

describe('applyChanges', () => {
  it('makes folders, creates, edits, deletes and prunes emptied folders, leaving no journal behind', async () => {
    const root = await projectWithFiles();
    const changes = planOn(root).changes();
    expect(changes.map((change) => `${change.kind} ${change.path}`)).toEqual([
      'mkdir src/new',
      'edit src/app.py',
      'create src/new/module.py',
      'delete src/old/gone.py',
      'create z-last.txt',
      'rmdir src/old',
    ]);
    applyChanges(root, changes, 'test');
    expect(await snapshotTree(root, { withFolders: true })).toEqual({ ...AFTER, 'src/': '', 'src/new/': '' });
  });

  it('keeps the mode of an edited file', async () => {
    const root = await projectWithFiles();
    applyChanges(root, planOn(root).changes(), 'test');
    expect((await stat(join(root, 'src/app.py'))).mode & 0o777).toBe(0o750);
  });

  it('edits a symlinked file at its target, and the link stays a link', async () => {
    const root = await projectWithFiles();
    await symlink('app.py', join(root, 'src/link.py'));
    const plan = new Plan(root);
    plan.write('src/link.py', 'through the link\n');
    applyChanges(root, plan.changes(), 'test');
    expect((await lstat(join(root, 'src/link.py'))).isSymbolicLink()).toBe(true);
    expect(await readFile(join(root, 'src/app.py'), 'utf8')).toBe('through the link\n');
  });

  it.each([
    ['rename', 1],
    ['rename', 2],
    ['rename', 3],
    ['link', 1],
    ['link', 3],
    ['mkdir', 2],
    ['rmdir', 1],
    ['writeDurably', 2],
  ] as const)('leaves the tree exactly as it was when %s #%i fails', async (operation, n) => {
    const root = await projectWithFiles();
    const before = await snapshotTree(root, { withFolders: true });
    const changes = planOn(root).changes();
    expect(() => applyChanges(root, changes, 'test', failingOn(operation, n))).toThrow(/simulated/);
    expect(await snapshotTree(root, { withFolders: true })).toEqual(before);
    expect((await stat(join(root, 'src/app.py'))).mode & 0o777).toBe(0o750);
  });

  it('when the undo itself keeps failing, keeps the journal, and the next run restores the project from it', async () => {
    const root = await projectWithFiles();
    const before = await snapshotTree(root, { withFolders: true });
    const changes = planOn(root).changes();
    expect(() => applyChanges(root, changes, 'add-domain', failingOn('rename', 3, true))).toThrow(
      /simulated failure; some files could not be put back yet, and the next create-layered-backend command/,
    );
    const journal = readJournal(root);
    expect(journal).toMatchObject({ command: 'add-domain', pid: process.pid });
    rollBackJournal(root, journal as NonNullable<typeof journal>);
    expect(await snapshotTree(root, { withFolders: true })).toEqual(before);
  });

  it('keeps a save that lands while the edited file is out of place, and undoes the rest', async () => {
    const root = await projectWithFiles();
    const app = join(root, 'src/app.py');
    const before = await snapshotTree(root, { withFolders: true });
    // An editor writes a new file at the path in the moment after the original moved into the journal.
    const io: FileSystem = {
      ...nodeFileSystem,
      rename(from, to) {
        nodeFileSystem.rename(from, to);
        if (from === app) writeFileSync(app, 'saved by hand\n');
      },
    };
    expect(() => applyChanges(root, planOn(root).changes(), 'test', io)).toThrow('src/app.py was changed by something else while this run was writing');
    expect(await snapshotTree(root, { withFolders: true })).toEqual({ ...before, 'src/app.py': 'saved by hand\n' });
  });

  it('keeps a file put where a new one was about to go, and undoes the rest', async () => {
    const root = await projectWithFiles();
    const last = join(root, 'z-last.txt');
    const before = await snapshotTree(root, { withFolders: true });
    const io: FileSystem = {
      ...nodeFileSystem,
      link(from, to) {
        if (to === last) writeFileSync(last, 'theirs\n');
        nodeFileSystem.link(from, to);
      },
    };
    expect(() => applyChanges(root, planOn(root).changes(), 'test', io)).toThrow('z-last.txt was changed by something else while this run was writing');
    expect(await snapshotTree(root, { withFolders: true })).toEqual({ ...before, 'z-last.txt': 'theirs\n' });
  });

  const noLinks = (io: FileSystem): FileSystem => ({
    ...io,
    link: () => {
      throw Object.assign(new Error('EPERM: operation not permitted, link'), { code: 'EPERM' });
    },
  });

  it.each([
    ['saved into the placed file (vim writes a file with two links in place)', nodeFileSystem, 'link'],
    ['saved as a new file, on a file system without hard links', noLinks(nodeFileSystem), 'rename'],
  ] as const)('keeps an edit %s before a later step fails, and says so', async (_, base, placing) => {
    const root = await projectWithFiles();
    const app = join(root, 'src/app.py');
    const io: FileSystem = {
      ...base,
      [placing]: (from: string, to: string) => {
        (base[placing] as (a: string, b: string) => void)(from, to);
        if (to !== app) return;
        if (placing === 'link') appendFileSync(app, '# saved\n');
        else writeFileSync(`${app}.tmp`, 'edited\n# saved\n'), renameSync(`${app}.tmp`, app);
      },
      // z-last.txt is the last file placed: every step before it has run.
      writeDurably: base.writeDurably,
    };
    const failing: FileSystem = {
      ...io,
      [placing]: (from: string, to: string) => {
        if (to === join(root, 'z-last.txt')) throw Object.assign(new Error('EIO: simulated failure'), { code: 'EIO' });
        (io[placing] as (a: string, b: string) => void)(from, to);
      },
    };
    const before = await snapshotTree(root, { withFolders: true });
    expect(() => applyChanges(root, planOn(root).changes(), 'test', failing)).toThrow(/^EIO: simulated failure; the run was undone except src\/app.py, which something else changed meanwhile and which are left as they are: check them, then run again$/);
    expect(await snapshotTree(root, { withFolders: true })).toEqual({ ...before, 'src/app.py': 'edited\n# saved\n' });
  });

  it('after a kill, the next run keeps a file saved since, names it, and undoes the rest', async () => {
    const root = await projectWithFiles();
    const before = await snapshotTree(root, { withFolders: true });
    expect(() => applyChanges(root, planOn(root).changes(), 'add-domain', dyingAtCommit())).toThrow(/next create-layered-backend command/);
    // While the journal waits, the user edits the new module the run had placed.
    appendFileSync(join(root, 'src/new/module.py'), '# mine\n');
    const journal = readJournal(root);
    expect(rollBackJournal(root, journal as NonNullable<typeof journal>)).toEqual(['src/new/module.py']);
    expect(await snapshotTree(root, { withFolders: true })).toEqual({ ...before, 'src/new/': '', 'src/new/module.py': 'new\n# mine\n' });
  });

  it('a journal naming a path outside the project is refused, and nothing outside is touched', async () => {
    const root = await projectWithFiles();
    const outside = join(root, '..', `outside-${process.pid}.txt`);
    await writeFile(outside, 'not yours\n');
    await mkdir(join(root, JOURNAL_DIR));
    const steps = [{ kind: 'create', path: `../outside-${process.pid}.txt` }];
    await writeFile(join(root, JOURNAL_DIR, 'journal.json'), JSON.stringify({ format: 1, command: 'x', pid: 1, started: 'now', steps }));
    expect(() => readJournal(root)).toThrow(/is not a journal this CLI wrote; remove/);
    expect(await readFile(outside, 'utf8')).toBe('not yours\n');
  });

  it('after a kill, a recovery that was itself killed is finished by the next, with nothing called kept', async () => {
    const root = await projectWithFiles();
    const before = await snapshotTree(root, { withFolders: true });
    expect(() => applyChanges(root, planOn(root).changes(), 'remove-domain', dyingAtCommit())).toThrow(/next create-layered-backend command/);
    const journal = readJournal(root) as NonNullable<ReturnType<typeof readJournal>>;
    // The first recovery dies after a few undos (its later operations all fail).
    expect(() => rollBackJournal(root, journal, failingOn('rename', 2, true))).toThrow(/simulated/);
    expect(rollBackJournal(root, journal)).toEqual([]);
    expect(await snapshotTree(root, { withFolders: true })).toEqual(before);
  });

  it('after a kill, leaves what replaced a folder (a file, a symlink leading out) and writes nothing through it', async () => {
    const root = await projectWithFiles();
    const outside = await tempDir();
    expect(() => applyChanges(root, planOn(root).changes(), 'remove-domain', dyingAtCommit())).toThrow(/next create-layered-backend command/);
    rmSync(join(root, 'src/new'), { recursive: true });
    await writeFile(join(root, 'src/new'), 'a file now\n');
    await symlink(outside, join(root, 'src/old'));
    const journal = readJournal(root);
    expect(rollBackJournal(root, journal as NonNullable<typeof journal>)).toEqual(['src/new', 'src/old/gone.py', 'src/old']);
    expect(await readdir(outside)).toEqual([]);
    expect(await readFile(join(root, 'src/new'), 'utf8')).toBe('a file now\n');
    expect(await readFile(join(root, 'src/app.py'), 'utf8')).toBe('original\n');
  });

  it.each([
    ['null', 'null'],
    ['a negative mode', JSON.stringify({ format: 1, steps: [{ kind: 'rmdir', path: 'src/x', mode: -1 }] })],
    ['a mode beyond 07777', JSON.stringify({ format: 1, steps: [{ kind: 'rmdir', path: 'src/x', mode: 4294967295 }] })],
    ['the lock as a path', JSON.stringify({ format: 1, steps: [{ kind: 'create', path: '.create-layered-backend.lock' }] })],
    ['a hash that is not one', JSON.stringify({ format: 1, steps: [{ kind: 'create', path: 'a.py', sha256: 'x' }] })],
  ])('a journal.json holding %s is refused in one line', async (_, text) => {
    const root = await projectWithFiles();
    await mkdir(join(root, JOURNAL_DIR));
    await writeFile(join(root, JOURNAL_DIR, 'journal.json'), text);
    expect(() => readJournal(root)).toThrow(/journal\.json is not a journal this CLI wrote; remove .* if no create-layered-backend command is running$/);
  });

  it('after a kill, a removed folder comes back with its mode', async () => {
    const root = await projectWithFiles();
    await chmod(join(root, 'src/old'), 0o750);
    const before = await snapshotTree(root, { withFolders: true });
    expect(() => applyChanges(root, planOn(root).changes(), 'remove-domain', dyingAtCommit())).toThrow(/next create-layered-backend command/);
    const journal = readJournal(root);
    rollBackJournal(root, journal as NonNullable<typeof journal>);
    expect((await stat(join(root, 'src/old'))).mode & 0o777).toBe(0o750);
    expect(await snapshotTree(root, { withFolders: true })).toEqual(before);
  });

  it('after a kill, a removed folder whose cache Python made again meanwhile is put back, that cache kept', async () => {
    const root = await projectWithFiles();
    const before = await snapshotTree(root, { withFolders: true });
    expect(() => applyChanges(root, planOn(root).changes(), 'remove-domain', dyingAtCommit())).toThrow(/next create-layered-backend command/);
    await mkdir(join(root, 'src/old/__pycache__'), { recursive: true });
    await writeFile(join(root, 'src/old/__pycache__/gone.cpython-312.pyc'), 'newer bytecode');
    const journal = readJournal(root);
    rollBackJournal(root, journal as NonNullable<typeof journal>);
    expect(await snapshotTree(root, { withFolders: true })).toEqual({
      ...before,
      'src/old/__pycache__/gone.cpython-311.pyc': undefined,
      'src/old/__pycache__/gone.cpython-312.pyc': 'newer bytecode',
    });
  });

  it('on a file system without hard links, places by rename, and still undoes everything when a step fails', async () => {
    const root = await projectWithFiles();
    applyChanges(root, planOn(root).changes(), 'test', noLinks(nodeFileSystem));
    expect(await snapshotTree(root, { withFolders: true })).toEqual({ ...AFTER, 'src/': '', 'src/new/': '' });

    const other = await projectWithFiles();
    const before = await snapshotTree(other, { withFolders: true });
    // Renames: app.py out, app.py in, module.py in, gone.py out (fails).
    expect(() => applyChanges(other, planOn(other).changes(), 'test', noLinks(failingOn('rename', 4)))).toThrow(/simulated/);
    expect(await snapshotTree(other, { withFolders: true })).toEqual(before);
  });

  it('a journal folder without journal.json (died while staging, or after the commit) is just leftovers', async () => {
    const root = await projectWithFiles();
    await mkdir(join(root, JOURNAL_DIR));
    await writeFile(join(root, JOURNAL_DIR, '0.new'), 'staged');
    await writeFile(join(root, JOURNAL_DIR, 'journal.json'), '{"format": 1, "steps": [');
    expect(readJournal(root)).toBe('leftovers');
    const before = await snapshotTree(root, { ignore: [JOURNAL_DIR] });
    rollBackJournal(root, 'leftovers');
    expect(await snapshotTree(root, { withFolders: true })).toEqual({ ...before, 'src/': '', 'src/old/': '', 'src/old/__pycache__/': '' });
  });
});

describe('writeNewFolder', () => {
  it('refuses, leaving no staging folder, when the target filled up meanwhile', async () => {
    const parent = await tempDir();
    const plan = new Plan(join(parent, 'my-api'));
    plan.write('src/deep/b.py', 'b');
    const changes = plan.changes();
    await mkdir(join(parent, 'my-api'));
    await writeFile(join(parent, 'my-api/theirs.txt'), 'theirs');
    expect(() => writeNewFolder(plan.root, changes)).toThrow(/my-api was filled by something else meanwhile; nothing was written/);
    expect(await snapshotTree(parent, { withFolders: true })).toEqual({ 'my-api/': '', 'my-api/theirs.txt': 'theirs' });
  });

  it('removes the staging folder and the parent folders it made when a write fails', async () => {
    const parent = await tempDir();
    const plan = new Plan(join(parent, 'fresh', 'deeper', 'my-api'));
    plan.write('a.py', 'a');
    // A name longer than the file system allows: the write fails after the parents were made.
    plan.write(`${'x'.repeat(300)}/b.py`, 'b');
    expect(() => writeNewFolder(plan.root, plan.changes())).toThrow(/ENAMETOOLONG/);
    expect(await snapshotTree(parent, { withFolders: true })).toEqual({});
  });

  it('moves the whole project into place at once, onto an empty folder too', async () => {
    const parent = await tempDir();
    await mkdir(join(parent, 'empty'));
    const plan = new Plan(join(parent, 'empty'));
    plan.write('src/app.py', 'app\n');
    writeNewFolder(plan.root, plan.changes());
    expect(await snapshotTree(parent, { withFolders: true })).toEqual({ 'empty/': '', 'empty/src/': '', 'empty/src/app.py': 'app\n' });
  });
});
