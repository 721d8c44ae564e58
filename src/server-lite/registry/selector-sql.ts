// Label selectors as SQL conditions over a labels table (owner id, key, value), so listings filter in SQLite.
import type { Requirement, Selector } from '../../model/selector.js';

export interface LabelsTable {
  /** Table name, e.g. device_labels. */
  table: string;
  /** Its column referring to the labelled row, e.g. device_id. */
  ownerColumn: string;
}

export interface SqlCondition {
  /** `AND`-joined conditions, or `1` for the empty selector. */
  sql: string;
  params: string[];
}

/** A condition on the row whose id is `idExpr` (e.g. `d.id`); parameters are positional. */
export function selectorCondition(selector: Selector, labels: LabelsTable, idExpr: string): SqlCondition {
  const params: string[] = [];
  const parts = selector.map((r) =>
    requirementSql(
      r,
      `SELECT 1 FROM ${labels.table} l WHERE l.${labels.ownerColumn} = ${idExpr} AND l.key = ?`,
      params,
    ),
  );
  return { sql: parts.length ? parts.join(' AND ') : '1', params };
}

/** One requirement as a condition; `scope` selects the row's label with the key (the first parameter). */
function requirementSql(r: Requirement, scope: string, params: string[]): string {
  params.push(r.key);
  switch (r.op) {
    case 'eq':
      params.push(r.value);
      return `EXISTS (${scope} AND l.value = ?)`;
    case 'neq':
      params.push(r.value);
      return `EXISTS (${scope} AND l.value <> ?)`;
    case 'in':
    case 'notin': {
      params.push(...r.values);
      const set = `l.value ${r.op === 'in' ? 'IN' : 'NOT IN'} (${r.values.map(() => '?').join(', ')})`;
      return `EXISTS (${scope} AND ${set})`;
    }
    case 'exists':
      return `EXISTS (${scope})`;
    case 'absent':
      return `NOT EXISTS (${scope})`;
  }
}
