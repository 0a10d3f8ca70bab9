import { describe, expect, it } from 'vitest';
import { domainList, domainName, MAX_DOMAIN_LENGTH, MAX_PACKAGE_LENGTH, packageName } from '../../src/core/names.js';

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
    ['services', /reserved/],
    ['routers', /reserved/],
    ['héllo', /identifier/],
    // 26 characters: its revision id, create_<module>, would overflow Alembic's VARCHAR(32).
    ['customer_invoice_discounts', /too long: "customer_invoice_discounts" has 26 characters, at most 25/],
  ])('rejects %j', (raw, message) => {
    expect(() => domainName(raw)).toThrow(message);
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

describe('packageName', () => {
  it('turns a directory name into a Python package', () => {
    expect(packageName('my-api')).toBe('my_api');
    expect(packageName('Billing Service')).toBe('billing_service');
  });

  it.each(['import', '9lives', 'fastapi', '../x'])('rejects %j', (raw) => {
    expect(() => packageName(raw)).toThrow();
  });

  it('accepts a package as long as the limit and refuses a longer one, naming --name', () => {
    expect(packageName('customer-billing-service')).toHaveLength(MAX_PACKAGE_LENGTH);
    expect(() => packageName('customer-billing-services')).toThrow(/too long: 25 characters, at most 24; .*--name/);
  });
});
