import { CancelledError } from './errors.js';
import type { Choice, Prompter } from './context.js';

/** clack, loaded only when a question is actually asked (see on-demand.ts). */
const loadClack = async () => (await import('./on-demand.js')).clack;

/** The terminal Prompter, on @clack/prompts. */
export function clackPrompter(): Prompter {
  async function answer<T>(pending: Promise<T | symbol>): Promise<Exclude<T, symbol>> {
    const { isCancel } = await loadClack();
    const value = await pending;
    if (isCancel(value)) throw new CancelledError();
    return value as Exclude<T, symbol>;
  }
  return {
    async intro(title) {
      (await loadClack()).intro(title);
    },
    async outro(message) {
      (await loadClack()).outro(message);
    },
    async text(q) {
      const { text } = await loadClack();
      // An empty answer takes the placeholder, so the placeholder is what validation sees then.
      const validate = (value: string | undefined) => q.validate?.(value || q.placeholder || '');
      return answer(text({ message: q.message, placeholder: q.placeholder, defaultValue: q.placeholder, validate }));
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
