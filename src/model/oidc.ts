// The OpenID Connect client of Drogue Cloud's CLI (docs/drogue-api.md, "Authentication"): drg logs in as it, and
// drg serve's embedded issuer knows it.

/** The public client id every Drogue Cloud issuer has for the CLI. */
export const DROGUE_CLIENT_ID = 'drogue';
/** What drg asks for: an ID token and a refresh token. */
export const DROGUE_CLI_SCOPE = 'openid offline_access';
