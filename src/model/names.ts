// Name rules of the Drogue Cloud registry (docs/drogue-api.md, "Resources").

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Returns why `name` is not a valid application name, or undefined when it is. */
export function appNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'application name must not be empty';
  if (name.length > 63) return `application name "${name}" is longer than 63 characters`;
  if (!DNS_LABEL.test(name)) {
    return `application name "${name}" is invalid: use lowercase letters, digits and '-', starting and ending with a letter or digit`;
  }
  return undefined;
}

/** Returns why `name` is not a valid device name, or undefined when it is. */
export function deviceNameProblem(name: string): string | undefined {
  // TextEncoder, not Buffer: the console checks names in the browser.
  const bytes = new TextEncoder().encode(name).length;
  if (bytes === 0) return 'device name must not be empty';
  if (bytes > 255) return `device name is ${bytes} bytes long; the limit is 255`;
  return undefined;
}
