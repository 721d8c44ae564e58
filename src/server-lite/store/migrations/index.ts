// The store's schema, one frozen file per version. Append a migration; never edit one that has shipped.
import { migration as usersTokensRegistry } from './0001-users-tokens-registry.js';
import { migration as ownershipTransfers } from './0002-ownership-transfers.js';
import { migration as oidcIssuer } from './0003-oidc-issuer.js';
import { migration as firmwareImages } from './0004-firmware-images.js';
import type { Migration } from './migration.js';

export type { Migration };

export const migrations: readonly Migration[] = [usersTokensRegistry, ownershipTransfers, oidcIssuer, firmwareImages];
