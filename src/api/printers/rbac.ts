// RBAC bindings (roles and cluster roles print with the default convertor).
import type { Printer, TableColumnDefinition } from './table-types.js';
import { AGE, NAME, col, str, wide, type Obj } from './columns.js';
import { since } from './duration.js';

/** rbac.SubjectsStrings: users, groups and "namespace/name" service accounts. */
function subjects(o: Obj): [string, string, string] {
  const users: string[] = [];
  const groups: string[] = [];
  const sas: string[] = [];
  for (const s of (o.subjects ?? []) as Obj[]) {
    if (s.kind === 'ServiceAccount') sas.push(`${str(s.namespace)}/${str(s.name)}`);
    else if (s.kind === 'User') users.push(str(s.name));
    else if (s.kind === 'Group') groups.push(str(s.name));
  }
  return [users.join(', '), groups.join(', '), sas.join(', ')];
}

function bindingPrinter(roleRefDoc: string, what: string): Printer {
  const columns: TableColumnDefinition[] = [
    NAME,
    col('Role', roleRefDoc),
    AGE,
    wide('Users', `Users in the ${what}`),
    wide('Groups', `Groups in the ${what}`),
    wide('ServiceAccounts', `ServiceAccounts in the ${what}`),
  ];
  return {
    columns,
    rows: (o: Obj, now) => [
      [
        o.metadata.name,
        `${str(o.roleRef?.kind)}/${str(o.roleRef?.name)}`,
        since(o.metadata.creationTimestamp, now),
        ...subjects(o),
      ],
    ],
  };
}

export const roleBindingPrinter = bindingPrinter(
  'RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error.',
  'roleBinding',
);
export const clusterRoleBindingPrinter = bindingPrinter(
  'RoleRef can only reference a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error.',
  'clusterRoleBinding',
);
