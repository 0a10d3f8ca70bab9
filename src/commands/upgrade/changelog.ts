import { readFileSync } from 'node:fs';
import { changelogFile } from '../../core/package-files.js';

/** `major.minor.patch`, with an optional pre-release after `-`, as npm versions are. */
const VERSION_PATTERN = /^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?$/;

export const isVersion = (text: string) => VERSION_PATTERN.test(text);

/** Semver order of two versions (isVersion): negative when `a` comes first. */
export function compareVersions(a: string, b: string): number {
  const [, ...left] = VERSION_PATTERN.exec(a) as RegExpExecArray;
  const [, ...right] = VERSION_PATTERN.exec(b) as RegExpExecArray;
  for (let index = 0; index < 3; index += 1) {
    const difference = Number(left[index]) - Number(right[index]);
    if (difference !== 0) return difference;
  }
  // A pre-release comes before its release (1.0.0-rc.1 < 1.0.0).
  const [preLeft, preRight] = [left[3], right[3]];
  if (preLeft === preRight) return 0;
  if (preLeft === undefined) return 1;
  if (preRight === undefined) return -1;
  return preLeft < preRight ? -1 : 1;
}

/**
 * The entries of CHANGELOG.md (`## <version>` and what follows, up to the next) for the versions
 * after `from` up to and including `to`, newest first, as the file lists them.
 */
export function changesBetween(from: string, to: string): string {
  const sections = readFileSync(changelogFile(), 'utf8').split(/^(?=## )/m);
  return sections
    .filter((section) => {
      const version = /^## (\S+)/.exec(section)?.[1];
      return version !== undefined && isVersion(version) && compareVersions(version, from) > 0 && compareVersions(version, to) <= 0;
    })
    .map((section) => section.trim())
    .join('\n\n');
}
