import { CliError } from '../errors.js';

/**
 * Files as bytes on disk and text in the plan. A Python file may declare its encoding (PEP 263);
 * the CLI honours UTF-8 (the default) and Latin-1, writes an edited file back in the encoding it
 * was read in, and refuses anything else rather than re-encoding (and corrupting) it.
 */
export type Encoding = 'utf-8' | 'latin-1';

export interface SourceText {
  text: string;
  encoding: Encoding;
  /** A UTF-8 byte order mark, kept on write. */
  bom: boolean;
}

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

// https://peps.python.org/pep-0263/: on line 1 or 2, a comment matching this names the encoding.
const CODING = /^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)/;

/** PEP 263 names, normalised as CPython does (lower case, `_` -> `-`), for the encodings honoured. */
const ENCODINGS: Record<string, Encoding> = {
  'utf-8': 'utf-8',
  utf8: 'utf-8',
  'latin-1': 'latin-1',
  latin1: 'latin-1',
  'iso-8859-1': 'latin-1',
  'iso8859-1': 'latin-1',
  l1: 'latin-1',
};

const CODING_WORD = Buffer.from('coding');

function declaredEncoding(bytes: Buffer): string | undefined {
  const head = bytes.subarray(0, 400);
  // Most files declare nothing: a plan reads a grown project's hundreds of migrations.
  if (!head.includes(CODING_WORD)) return undefined;
  // The declaration is ASCII, so reading the first two lines as Latin-1 finds it in any encoding.
  const [first = '', second = ''] = head.toString('latin1').split('\n');
  const match = CODING.exec(first) ?? (/^[ \t\f]*(#.*)?\r?$/.test(first) ? CODING.exec(second) : null);
  return match?.[1]?.toLowerCase().replaceAll('_', '-');
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decodes a file read by the plan; `path` names it in errors. */
export function decodeSource(path: string, bytes: Buffer): SourceText {
  const bom = bytes.subarray(0, 3).equals(UTF8_BOM);
  const declared = path.endsWith('.py') ? declaredEncoding(bytes) : undefined;
  const encoding = declared === undefined ? 'utf-8' : ENCODINGS[declared];
  if (encoding === undefined) {
    throw new CliError(
      `${path} declares the encoding "${declared}", which create-layered-backend cannot edit safely (UTF-8 or Latin-1 only); convert it to UTF-8`,
    );
  }
  if (encoding === 'latin-1') return { text: bytes.toString('latin1'), encoding, bom: false };
  try {
    return { text: strictUtf8.decode(bom ? bytes.subarray(3) : bytes), encoding, bom };
  } catch {
    const declare = path.endsWith('.py') ? 'declare its encoding (PEP 263) or ' : '';
    throw new CliError(`${path} is not valid UTF-8; ${declare}convert it to UTF-8`);
  }
}

/** The bytes for `text`, in the encoding (and with the byte order mark) of `like`. */
export function encodeSource(path: string, text: string, like: Pick<SourceText, 'encoding' | 'bom'>): Buffer {
  if (like.encoding === 'latin-1') {
    if (/[^\u0000-\u00ff]/.test(text)) throw new CliError(`${path} is Latin-1 and cannot hold the new text; convert it to UTF-8`);
    return Buffer.from(text, 'latin1');
  }
  const body = Buffer.from(text, 'utf8');
  return like.bom ? Buffer.concat([UTF8_BOM, body]) : body;
}

/** `text` in the line endings of `like`: CRLF throughout if `like` has any (git's autocrlf), else as it is. */
export const inLineEndingsOf = (like: string, text: string): string => (like.includes('\r\n') ? text.replace(/\r?\n/g, '\r\n') : text);

/** `text` with each indentation made of whole `from` steps made of `to` steps; other lines as they are. */
export function reindent(text: string, from: string, to: string): string {
  return text.replace(/^[ \t]+/gm, (indent) => {
    const levels = indent.length / from.length;
    return Number.isInteger(levels) && indent === from.repeat(levels) ? to.repeat(levels) : indent;
  });
}

export const UTF8: Pick<SourceText, 'encoding' | 'bom'> = { encoding: 'utf-8', bom: false };
