import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  canonicalQuantity,
  quantityPtr,
  quantityValue,
} from '../../../src/api/printers/quantity.js';

test('quantities print in canonical form, as resource.Quantity.String()', () => {
  const cases: Array<[string, string]> = [
    ['1Gi', '1Gi'],
    ['1024Mi', '1Gi'],
    ['2048Ki', '2Mi'],
    ['1536Mi', '1536Mi'],
    ['1.5Gi', '1536Mi'],
    ['1000Ki', '1000Ki'],
    ['0.5Ki', '512'],
    ['1023Ki', '1023Ki'],
    ['100', '100'],
    ['1000', '1k'],
    ['1100', '1100'],
    ['10000', '10k'],
    ['1000m', '1'],
    ['500m', '500m'],
    ['0.5', '500m'],
    ['1.5', '1500m'],
    ['0.1', '100m'],
    ['250m', '250m'],
    ['1n', '1n'],
    ['0.0000000001', '1n'],
    ['1e3', '1e3'],
    ['12e6', '12e6'],
    ['1.5e3', '1500'],
    ['1G', '1G'],
    ['1000M', '1G'],
    ['0', '0'],
    ['0Gi', '0'],
    ['-1Gi', '-1Gi'],
    [' 2Gi ', '2Gi'],
  ];
  for (const [q, want] of cases) assert.equal(canonicalQuantity(q), want, q);
  assert.equal(canonicalQuantity('bogus'), 'bogus');
});

test('absent quantities: "0" held by value, "<nil>" behind a pointer', () => {
  assert.equal(quantityValue(undefined), '0');
  assert.equal(quantityPtr(undefined), '<nil>');
  assert.equal(quantityValue('2048Mi'), '2Gi');
  assert.equal(quantityPtr(3), '3');
});
