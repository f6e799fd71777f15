// Configuration objects: ConfigMaps, Secrets and ServiceAccounts.
import type { Printer } from './table-types.js';
import { AGE, NAME, col, str, type Obj } from './columns.js';
import { DOCS } from './docs.js';
import { since } from './duration.js';

const count = (m: unknown) => (m && typeof m === 'object' ? Object.keys(m).length : 0);

export const configMapPrinter: Printer = {
  columns: [NAME, col('Data', DOCS.ConfigMap.data), AGE],
  rows: (o: Obj, now) => [
    [
      o.metadata.name,
      count(o.data) + count(o.binaryData),
      since(o.metadata.creationTimestamp, now),
    ],
  ],
};

export const secretPrinter: Printer = {
  columns: [NAME, col('Type', DOCS.Secret.type), col('Data', DOCS.Secret.data), AGE],
  // stringData never reaches storage: the strategy merges it into data
  rows: (o: Obj, now) => [
    [o.metadata.name, str(o.type), count(o.data), since(o.metadata.creationTimestamp, now)],
  ],
};

export const serviceAccountPrinter: Printer = {
  columns: [NAME, col('Secrets', DOCS.ServiceAccount.secrets), AGE],
  rows: (o: Obj, now) => [
    [
      o.metadata.name,
      Array.isArray(o.secrets) ? o.secrets.length : 0,
      since(o.metadata.creationTimestamp, now),
    ],
  ],
};
