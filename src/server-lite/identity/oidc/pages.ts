// The issuer's HTML pages: plain forms that work without JavaScript, labelled fields, errors on the page.
// Everything that comes from a request or the store is escaped.

/** For every page: no scripts, no external resources, no framing. */
export const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const STYLE = `body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;line-height:1.5}
label{display:block;font-weight:600;margin-top:1rem}input{font:inherit;width:100%;box-sizing:border-box;padding:.4rem}
button{font:inherit;margin-top:1.25rem;padding:.4rem 1.2rem}.error{color:#a00;border-left:4px solid #a00;padding-left:.75rem}
code{font-size:1.4rem}`;

function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} – drg serve</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
${body}
</main>
</body>
</html>
`;
}

function errorParagraph(id: string, message: string | undefined): string {
  return message === undefined ? '' : `<p id="${id}" class="error" role="alert">${escapeHtml(message)}</p>\n`;
}

export interface LoginPage {
  action: string;
  /** The client asking, as shown to the user. */
  client: string;
  username?: string;
  error?: string;
}

export function loginPage({ action, client, username, error }: LoginPage): string {
  const invalid = error === undefined ? '' : ' aria-invalid="true" aria-describedby="login-error"';
  return page(
    'Log in',
    `<p>Log in to continue to ${escapeHtml(client)}.</p>
${errorParagraph('login-error', error)}<form method="post" action="${escapeHtml(action)}">
<label for="username">Username</label>
<input id="username" name="username" autocomplete="username" autocapitalize="none" spellcheck="false" required value="${escapeHtml(username ?? '')}"${invalid}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required${invalid}>
<button type="submit">Log in</button>
</form>`,
  );
}

export interface UserCodePage {
  action: string;
  /** The anti-CSRF value the provider expects back as `xsrf`. */
  xsrf: string;
  userCode?: string;
  error?: string;
}

export function userCodePage({ action, xsrf, userCode, error }: UserCodePage): string {
  const invalid = error === undefined ? '' : ' aria-invalid="true" aria-describedby="code-error"';
  return page(
    'Connect a device',
    `<p>Enter the code that drg shows.</p>
${errorParagraph('code-error', error)}<form method="post" action="${escapeHtml(action)}">
<input type="hidden" name="xsrf" value="${escapeHtml(xsrf)}">
<label for="user_code">Code</label>
<input id="user_code" name="user_code" autocomplete="off" autocapitalize="characters" spellcheck="false" required value="${escapeHtml(userCode ?? '')}"${invalid}>
<button type="submit">Continue</button>
</form>`,
  );
}

/** `form` is the provider's form of hidden fields, with id `op.deviceConfirmForm`. */
export function confirmDevicePage(form: string, client: string, userCode: string): string {
  return page(
    'Confirm the device',
    `<p>${escapeHtml(client)} asks to act on your behalf. Continue only if it shows this code:</p>
<p><code>${escapeHtml(userCode)}</code></p>
${form}
<button type="submit" form="op.deviceConfirmForm">Continue</button>
<button type="submit" form="op.deviceConfirmForm" name="abort" value="yes">Abort</button>`,
  );
}

/** `form` is the provider's form (id `op.logoutForm`, its anti-CSRF field); `user` is who is logged in. */
export function logoutPage(form: string, user: string | undefined): string {
  const who = user === undefined ? '' : ` as ${escapeHtml(user)}`;
  return page(
    'Log out',
    `<p>You are logged in${who}. Log out of drg serve in this browser?</p>
${form}
<button type="submit" form="op.logoutForm" name="logout" value="yes" autofocus>Log out</button>`,
  );
}

export function loggedOutPage(): string {
  return page('Logged out', '<p>You are logged out. You can close this page.</p>');
}

export function deviceDonePage(): string {
  return page('Logged in', '<p>The device is logged in. You can close this page.</p>');
}

/** 'Wait 1 second before you try again.', in seconds up to two minutes, then in minutes (rounded up). */
export function waitText(seconds: number): string {
  const [count, unit] = seconds <= 120 ? [seconds, 'second'] : [Math.ceil(seconds / 60), 'minute'];
  return `Wait ${count} ${unit}${count === 1 ? '' : 's'} before you try again.`;
}

export function errorPage(title: string, message: string): string {
  return page(title, `<p class="error" role="alert">${escapeHtml(message)}</p>`);
}
