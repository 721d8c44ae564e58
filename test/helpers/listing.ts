// A registry listing (JSON array text in pieces, read as they are iterated), read whole.
export function listText(listing: Iterable<string>): string {
  return [...listing].join('');
}
