// Versioned schema. Append a migration; never edit one that has shipped.
export interface Migration {
  version: number;
  description: string;
  sql: string;
}

export const migrations: Migration[] = [
  {
    version: 1,
    description: 'users, access tokens, applications, devices',
    sql: `
      CREATE TABLE users (
        id TEXT PRIMARY KEY,
        password_hash TEXT,
        created TEXT NOT NULL
      );
      CREATE TABLE access_tokens (
        prefix TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        hash TEXT NOT NULL,
        created TEXT NOT NULL,
        description TEXT
      );
      CREATE INDEX access_tokens_user ON access_tokens(user_id);

      CREATE TABLE applications (
        name TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        doc TEXT NOT NULL
      );
      CREATE TABLE devices (
        app TEXT NOT NULL,
        name TEXT NOT NULL,
        doc TEXT NOT NULL,
        PRIMARY KEY (app, name)
      );
    `,
  },
];
