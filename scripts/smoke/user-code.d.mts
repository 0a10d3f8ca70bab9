// Types of user-code.mjs, for test/commands/flip.test.ts.
export interface DomainForms {
  module: string;
  pascal: string;
}
export function pricingPlacement(last: DomainForms): string;
export function addUserCode(root: string, project: { pkg: string; first: DomainForms; last: DomainForms; flow: string }): void;
