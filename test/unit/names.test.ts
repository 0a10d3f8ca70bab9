import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { readTemplateFiles } from '../../src/core/template-files.js';
import {
  derivedPackageName,
  domainList,
  domainName,
  type DomainName,
  flowName,
  MAX_DOMAIN_LENGTH,
  MAX_PACKAGE_LENGTH,
  MAX_PROJECT_LENGTH,
  packageName,
  projectDirectory,
  projectName,
  RESERVED_MODULES,
} from '../../src/core/names.js';

describe('reserved names', () => {
  it("every module the templates put where a domain's files go is reserved", () => {
    // Found by the generative test: a domain "imports" with the workers extra met its router.
    const layers = /^src\/__package__\/(routers|services|repositories|schemas|domains)\/([a-z_]+)(\.py|\/)/;
    const own = readTemplateFiles('templates').flatMap(({ path }) => layers.exec(path)?.[2] ?? []);
    expect(own).toContain('imports');
    // Not __init__, nor a path token (__domain__, __flow__) filled in with a checked name.
    expect(own.filter((module) => !module.startsWith('__') && !RESERVED_MODULES.has(module))).toEqual([]);
    expect(() => domainName('import')).toThrow('Domain name "import" is reserved');
  });

  // Each found by a hostile run: the names gave a project that failed ruff, pydantic or itself.
  it.each([
    [() => domainName('item_2s'), 'whose class name would not be CapWords; did you mean "item2s"?'],
    [() => flowName('step_2'), 'whose class name would not be CapWords; did you mean "step2"?'],
    [() => domainName('model_dumps'), 'starts with "model_", which pydantic keeps'],
    [() => domainName('healths'), 'would shadow the project\'s own "health" module'],
    [() => flowName('api'), 'would register "api_router" in routers/__init__.py'],
    [() => projectName('a'.repeat(MAX_PROJECT_LENGTH + 1)), `has ${MAX_PROJECT_LENGTH + 1} characters, at most ${MAX_PROJECT_LENGTH}`],
  ])('refuses %#', (name, message) => {
    expect(name).toThrow(message);
  });

  it('takes what is next to them', () => {
    expect(domainName('item2s').pascal).toBe('Item2');
    expect(domainName('v2_items').pascal).toBe('V2Item');
    expect(flowName('apis').module).toBe('apis');
    expect(projectName('a'.repeat(MAX_PROJECT_LENGTH))).toHaveLength(MAX_PROJECT_LENGTH);
  });
});

describe('domainName', () => {
  it('derives every form from a plural, singular or camel-cased name', () => {
    expect(domainName('categories')).toMatchObject({ module: 'categories', singular: 'category', pascal: 'Category' });
    expect(domainName('people')).toMatchObject({ module: 'people', singular: 'person', pascal: 'Person' });
    expect(domainName('orderItem')).toMatchObject({
      module: 'order_items',
      singular: 'order_item',
      pascal: 'OrderItem',
      kebab: 'order-items',
    });
  });

  it.each([
    ['', /empty/],
    ['sheep', /no distinct plural/],
    ['nones', /would name a class None, a Python keyword/],
    ['os', /too short: its singular "o"/],
    ['2fa', /digit/],
    ['a/b', /path separators/],
    ['..', /path separators/],
    ['--fields', /must not start with "-"/],
    ['services', /reserved/],
    ['routers', /reserved/],
    ['héllo', /identifier/],
    // 26 characters: its revision id, create_<module>, would overflow Alembic's VARCHAR(32).
    ['customer_invoice_discounts', /too long: "customer_invoice_discounts" has 26 characters, at most 25/],
    // Read back from their modules, these would name other domains (commands name one by its module).
    ['sku', /does not read back: its module "skus" would be taken for "skuses" \(singular "skus"\); pick another \(e\.g\. "sku_items"\)/],
    ['order_haiku', /its module "order_haikus" would be taken for "order_haikuses"/],
    ['axis', /its module "axes" would be taken for "axes" \(singular "axe"\)/],
  ])('rejects %j', (raw, message) => {
    expect(() => domainName(raw)).toThrow(message);
  });

  it('gives every name it accepts again from its module, the name later commands and the manifest use', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z]{2,10}(_[a-z]{2,8})?$/), (raw) => {
        let name: DomainName;
        try {
          name = domainName(raw);
        } catch (error) {
          return error instanceof UsageError;
        }
        expect(domainName(name.module)).toEqual(name);
        return true;
      }),
      { numRuns: 3000 },
    );
  });

  it('takes a keyword as a singular, which only appears inside longer names: classes, types', () => {
    expect(domainName('class')).toMatchObject({ module: 'classes', singular: 'class', pascal: 'Class' });
    expect(domainName('types')).toMatchObject({ module: 'types', singular: 'type' });
  });

  it('accepts a name exactly as long as the limit', () => {
    expect(domainName('customer_invoice_payments').module).toHaveLength(MAX_DOMAIN_LENGTH);
  });

  it('rejects duplicates, also across singular and plural', () => {
    expect(() => domainList('users, user')).toThrow(/listed twice/);
    expect(domainList('users, orders').map((name) => name.module)).toEqual(['users', 'orders']);
  });
});

describe('project and package names from a folder', () => {
  it.each([
    ['my-api', 'my-api', 'my_api'],
    ['My API', 'my-api', 'my_api'],
    ['my project', 'my-project', 'my_project'],
    ['Billing_Service.v2', 'billing-service-v2', 'billing_service_v2'],
    ['--x--', 'x', undefined],
  ])('%j gives the project %j and the package %j', (folder, project, pkg) => {
    expect(projectName(folder)).toBe(project);
    if (pkg) expect(derivedPackageName(projectName(folder))).toBe(pkg);
  });

  it('a project directory may go up first, not back up a path it names', () => {
    expect(projectDirectory('../my-api')).toBe('../my-api');
    expect(projectDirectory('../../work/my-api')).toBe('../../work/my-api');
    expect(() => projectDirectory('src/../my-api')).toThrow(/must not go back up a path it names/);
    expect(() => projectDirectory('../a/../b')).toThrow(UsageError);
  });

  it('keeps accented letters as their letters', () => {
    expect(projectName('Über')).toBe('uber');
    expect(projectName('Café Ünïcode')).toBe('cafe-unicode');
  });

  it('refuses a folder name with nothing to name a project by', () => {
    expect(() => projectName('___')).toThrow(/no ASCII letters or digits/);
    expect(() => projectName('日本語')).toThrow(/no ASCII letters or digits/);
  });
});

describe('packageName, as given', () => {
  it('takes a valid name exactly as written', () => {
    expect(packageName('my_api')).toBe('my_api');
  });

  it.each([
    ['_private', /not a Python package name .*; did you mean "private"\?/],
    ['my-api', /did you mean "my_api"\?/],
    ['import', /keyword/],
    ['9lives', /not a Python package name/],
    // The standard library, the project's own dependencies, and widely used PyPI packages.
    ['os', /would shadow the module "os"/],
    ['email', /would shadow/],
    ['queue', /would shadow/],
    ['http', /would shadow/],
    ['types', /would shadow/],
    ['secrets', /would shadow/],
    ['fastapi', /would shadow/],
    ['requests', /would shadow/],
    ['numpy', /would shadow/],
  ])('refuses %j', (raw, message) => {
    expect(() => packageName(raw)).toThrow(message);
  });

  it('suggests a name only when that name would itself be taken', () => {
    expect(() => packageName('My_Api')).toThrow(/did you mean "my_api"\?/);
    expect(() => packageName('Os')).toThrow(/^Package name "Os" is not a Python package name[^;]*\)$/);
    expect(() => packageName('Import')).not.toThrow(/did you mean/);
  });

  it('names --name on the command line, and not at the prompt', () => {
    const refusal = (() => {
      try {
        packageName('os');
      } catch (error) {
        return error as UsageError;
      }
    })();
    expect(refusal?.message).toMatch(/choose another with --name$/);
    expect(refusal?.atPrompt).toBe('Package name "os" would shadow the module "os" that code imports; choose another');
  });

  it('accepts a package as long as the limit and refuses a longer one', () => {
    expect(packageName('customer_billing_service')).toHaveLength(MAX_PACKAGE_LENGTH);
    expect(() => packageName('customer_billing_services')).toThrow(/too long: 25 characters, at most 24/);
  });
});
