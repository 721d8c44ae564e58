/** One step of the schema; `user_version` holds the version of the last one applied. */
export interface Migration {
  version: number;
  description: string;
  sql: string;
}
