import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { changesBetween, compareVersions } from '../../src/commands/upgrade/changelog.js';

const { version } = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string };

describe('CHANGELOG.md, as upgrade prints it', () => {
  it('has an entry for the version package.json gives, and prints only the entries crossed', () => {
    expect(changesBetween('0.0.0', version)).toMatch(new RegExp(`^## ${version.replaceAll('.', '\\.')}\\n`));
    const fromFirst = changesBetween('0.1.0', '0.2.0');
    expect(fromFirst).toContain('## 0.2.0');
    expect(fromFirst).not.toContain('## 0.1.0');
    expect(changesBetween(version, version)).toBe('');
  });

  it('orders versions as semver does, numbers as numbers and a pre-release before its release', () => {
    expect(compareVersions('0.10.0', '0.9.9')).toBeGreaterThan(0);
    expect(compareVersions('1.0.0-rc.1', '1.0.0')).toBeLessThan(0);
    expect(compareVersions('1.0.0-rc.1', '1.0.0-rc.2')).toBeLessThan(0);
    expect(compareVersions('0.2.0', '0.2.0')).toBe(0);
  });
});
