import { CancelledError } from './errors.js';
import type { Choice, Prompter } from './context.js';

/** The terminal Prompter: @clack/prompts, loaded only when a question is actually asked. */
const loadClack = async () => (await import('./on-demand.js')).clack;
export function clackPrompter(): Prompter {
  async function answer<T>(pending: Promise<T | symbol>): Promise<Exclude<T, symbol>> {
    const { isCancel } = await loadClack();
    const value = await pending;
    if (isCancel(value)) throw new CancelledError();
    return value as Exclude<T, symbol>;
  }
  return {
    async text(q) {
      const { text } = await loadClack();
      return answer(text({ message: q.message, initialValue: q.initialValue, validate: (v) => q.validate?.(v ?? '') }));
    },
    async select<T extends string>(q: { message: string; options: Choice<T>[]; initialValue: T }) {
      const { select } = await loadClack();
      // clack's option type is a conditional type that generic T cannot satisfy; the values are ours.
      return answer<T>(select({ message: q.message, options: q.options as never, initialValue: q.initialValue }));
    },
    async multiselect<T extends string>(q: { message: string; options: Choice<T>[]; initialValues: T[] }) {
      const { multiselect } = await loadClack();
      return answer<T[]>(
        multiselect({ message: q.message, options: q.options as never, initialValues: q.initialValues, required: false }),
      );
    },
    async confirm(q) {
      const { confirm } = await loadClack();
      return answer(confirm({ message: q.message, initialValue: q.initialValue }));
    },
  };
}
