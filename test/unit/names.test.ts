import { describe, expect, it } from 'vitest';
import { domainList, domainName, packageName } from '../../src/core/names.js';

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
    ['class', /keyword/],
    ['2fa', /digit/],
    ['a/b', /path separators/],
    ['..', /path separators/],
    ['services', /reserved/],
    ['routers', /reserved/],
    ['héllo', /identifier/],
  ])('rejects %j', (raw, message) => {
    expect(() => domainName(raw)).toThrow(message);
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
});
