import { CancelledError } from './errors.js';
import { importClack } from './esm-packages.js';
import type { Choice, Prompter } from './context.js';

/** The terminal Prompter: @clack/prompts, loaded only when a question is actually asked. */
export function clackPrompter(): Prompter {
  async function answer<T>(pending: Promise<T | symbol>): Promise<Exclude<T, symbol>> {
    const { isCancel } = await importClack();
    const value = await pending;
    if (isCancel(value)) throw new CancelledError();
    return value as Exclude<T, symbol>;
  }
  return {
    async text(q) {
      const { text } = await importClack();
      return answer(text({ message: q.message, initialValue: q.initialValue, validate: (v) => q.validate?.(v ?? '') }));
    },
    async select<T extends string>(q: { message: string; options: Choice<T>[]; initialValue: T }) {
      const { select } = await importClack();
      // clack's option type is a conditional type that generic T cannot satisfy; the values are ours.
      return answer<T>(select({ message: q.message, options: q.options as never, initialValue: q.initialValue }));
    },
    async multiselect<T extends string>(q: { message: string; options: Choice<T>[]; initialValues: T[] }) {
      const { multiselect } = await importClack();
      return answer<T[]>(
        multiselect({ message: q.message, options: q.options as never, initialValues: q.initialValues, required: false }),
      );
    },
    async confirm(q) {
      const { confirm } = await importClack();
      return answer(confirm({ message: q.message, initialValue: q.initialValue }));
    },
  };
}
