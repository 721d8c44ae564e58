// Times as the registry's documents write them: RFC 3339 in UTC, to the second (`2021-02-02T11:11:31Z`).

export function rfc3339Seconds(time: Date | number): string {
  return new Date(time).toISOString().replace(/\.\d+Z$/, 'Z');
}
