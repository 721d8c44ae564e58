// The OpenID Connect client of Drogue Cloud's CLI (docs/drogue-api.md, "Authentication"): drg logs in as it, and
// drg serve's embedded issuer knows it.

/** The public client id every Drogue Cloud issuer has for the CLI. */
export const DROGUE_CLIENT_ID = 'drogue';
/** What drg asks for: an ID token and a refresh token. */
export const DROGUE_CLI_SCOPE = 'openid offline_access';

/** The web console's public client in drg serve's embedded issuer, and where the console lives. */
export const CONSOLE_CLIENT_ID = 'drg-console';
export const CONSOLE_PATH = '/console/';
export const CONSOLE_REDIRECT_PATH = '/console/callback';
