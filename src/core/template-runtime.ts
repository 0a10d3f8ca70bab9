/**
 * What the templates compiled by template-codegen.ts call when they render: Handlebars' semantics
 * (as HANDLEBARS_OPTIONS configure them) for the part of Handlebars the templates use.
 */
export const templateHelpers = {
  /** A path segment that must exist: strict mode fails a misspelt variable instead of printing nothing. */
  strict(parent: unknown, key: string): unknown {
    if (!parent || !(key in (parent as object))) throw new Error(`"${key}" not defined in ${String(parent)}`);
    return (parent as Record<string, unknown>)[key];
  },
  /** The last segment of a block helper's argument: as in Handlebars, a missing one is just falsy. */
  lookup(parent: unknown, key: string): unknown {
    return parent === null || parent === undefined ? undefined : (parent as Record<string, unknown>)[key];
  },
  /** `{{value}}` with noEscape: printed as it is, null and undefined as nothing. */
  text(value: unknown): string {
    return value === null || value === undefined ? '' : String(value);
  },
  /** What `{{#each}}` walks: a list, or nothing for a falsy value. */
  items(value: unknown): unknown[] {
    if (Array.isArray(value)) return value;
    if (!value) return [];
    throw new Error(`{{#each}} takes a list, not ${String(value)}`);
  },
  /** `{{#if}}`'s test: falsy values and empty lists are false. */
  truthy(value: unknown): boolean {
    return Array.isArray(value) ? value.length > 0 : Boolean(value);
  },
};

export type TemplateHelpers = typeof templateHelpers;

/** A template as the build compiles it. */
export type CompiledTemplate = (data: unknown, helpers: TemplateHelpers) => string;
