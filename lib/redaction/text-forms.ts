// Nested values of a secret built by a schema transform (an array, an object) are
// followed this deep; validated secrets are shallow.
const MAX_FORM_DEPTH = 4;

/**
 * The texts a secret value is written as when it is printed or concatenated: the string
 * itself, `String(value)` for a number or a bigint, and for an object a schema built its
 * `toString()` (unless it is the class's `[object ...]`), its JSON (or the string inside,
 * for a Date or a URL) and the forms of the values inside a plain object or an array.
 * Booleans, `null`, `undefined`, symbols and functions have none: `true` and `false` are
 * ordinary words, and a flag hides nothing.
 *
 * Never throws: a `toString`, `toJSON` or getter that throws contributes nothing, and an
 * object met twice (a cycle) is read once.
 */
export function textForms(value: unknown): string[] {
  const forms: string[] = [];
  collect(value, 0, forms, new Set());
  return forms;
}

function collect(value: unknown, depth: number, forms: string[], seen: Set<object>): void {
  switch (typeof value) {
    case 'string':
      forms.push(value);
      return;
    case 'number':
    case 'bigint':
      forms.push(String(value));
      return;
    case 'object':
      if (value === null || depth > MAX_FORM_DEPTH || seen.has(value)) return;
      seen.add(value);
      safely(() => collectObject(value, depth, forms, seen));
      return;
    default:
      return;
  }
}

function collectObject(value: object, depth: number, forms: string[], seen: Set<object>): void {
  // A null-prototype object has no toString: safely() turns that into no form.
  const text = safely(() => (value as { toString(): unknown }).toString());
  // `[object Object]` is a class's name, not its value.
  if (typeof text === 'string' && !/^\[object [^\]]*\]$/.test(text)) forms.push(text);
  const json = safely(() => JSON.stringify(value) as string | undefined);
  if (typeof json === 'string') {
    // A Date or a URL serialises to a quoted string: the text inside the quotes is the form.
    const parsed = safely(() => JSON.parse(json) as unknown);
    forms.push(typeof parsed === 'string' ? parsed : json);
  }
  if (Array.isArray(value) || isPlain(value)) {
    for (const item of Object.values(value)) collect(item, depth + 1, forms, seen);
  }
}

function isPlain(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function safely<R>(read: () => R): R | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}
