import { diff3Merge } from 'node-diff3';

/**
 * Three-way merge by lines, as git merges: `base` is what the generator wrote, `ours` the file as
 * the user has it, `theirs` what the generator writes now. Lines only one side changed take that
 * side. Where both touched the same place but one side only added lines around what the other
 * changed (a field added after the fields, the user's validator after them), both are kept, the
 * generator's lines first. Both sides changing the same lines differently is a conflict.
 */
export interface MergeResult {
  text: string;
  /** 1-based lines of `ours` where the two sides changed the same lines. */
  conflicts: number[];
}

const lines = (text: string) => text.split(/(?<=\n)/);

const startsWith = (lines: string[], start: string[]) => start.every((line, index) => lines[index] === line);
const endsWith = (lines: string[], end: string[]) => end.every((line, index) => lines[lines.length - end.length + index] === line);

/** Both sides kept when one of them only added lines before or after the base's lines. */
function aroundBase(a: string[], o: string[], b: string[]): string[] | undefined {
  if (startsWith(a, o)) return [...b, ...a.slice(o.length)];
  if (endsWith(a, o)) return [...a.slice(0, a.length - o.length), ...b];
  if (startsWith(b, o)) return [...a, ...b.slice(o.length)];
  if (endsWith(b, o)) return [...b.slice(0, b.length - o.length), ...a];
  return undefined;
}

export function mergeLines(ours: string, base: string, theirs: string): MergeResult {
  // A checkout with CRLF line endings (git's autocrlf) merges as the LF text it was generated as.
  const crlf = ours.includes('\r\n');
  const eol = crlf ? '\r\n' : '\n';
  const withEndings = (text: string) => (crlf ? text.replace(/\r?\n/g, '\r\n') : text);
  // A last line without its newline merges as the line it was; the result ends as the user's did.
  const unterminated = ours !== '' && !ours.endsWith('\n');
  const blocks = diff3Merge(lines(unterminated ? ours + eol : ours), lines(withEndings(base)), lines(withEndings(theirs)), { excludeFalseConflicts: true }) as Array<
    { ok: string[] } | { conflict: { a: string[]; aIndex: number; o: string[]; b: string[] } }
  >;
  const merged: string[] = [];
  const conflicts: number[] = [];
  for (const block of blocks) {
    if ('ok' in block) {
      merged.push(...block.ok);
      continue;
    }
    const { a, aIndex, o, b } = block.conflict;
    const resolved = aroundBase(a, o, b);
    if (resolved) merged.push(...resolved);
    else {
      conflicts.push(aIndex + 1);
      merged.push(...a);
    }
  }
  const text = merged.join('');
  return { text: unterminated && text.endsWith(eol) ? text.slice(0, -eol.length) : text, conflicts };
}
