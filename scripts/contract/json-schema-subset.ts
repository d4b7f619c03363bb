import { isRecord, type JsonSchema } from './openapi-document.js';

/**
 * A JSON Schema validator for the keywords Doppler's OpenAPI document uses: `type` (one or a
 * list), `properties`, `required`, `items`, `enum`, `format` (`int32`, `int64`, `date-time`) and
 * `additionalProperties`. Annotations are skipped. Any other keyword is reported as a problem
 * rather than ignored, so a document that starts using `oneOf` makes the check fail loudly
 * instead of passing without looking.
 */

const ANNOTATIONS = new Set([
  'description',
  'example',
  'examples',
  'default',
  'title',
  'deprecated',
  'readOnly',
  'writeOnly',
  '$comment',
]);
const VALIDATED = new Set([
  'type',
  'properties',
  'required',
  'items',
  'enum',
  'format',
  'additionalProperties',
]);

const INT32 = { min: -(2 ** 31), max: 2 ** 31 - 1 };
// RFC 3339 section 5.6: full-date "T" full-time, with a time zone.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * Validates a value; each problem names the JSON path (`$.names[0]`), never the value itself,
 * since the value may be a secret.
 *
 * @example
 * validateJson({ names: 'A' }, { type: 'object', properties: { names: { type: 'array' } } });
 * // ['$.names: expected array, got string']
 */
export function validateJson(value: unknown, schema: JsonSchema, at = '$'): string[] {
  const problems: string[] = [];
  for (const keyword of Object.keys(schema)) {
    if (!VALIDATED.has(keyword) && !ANNOTATIONS.has(keyword)) {
      problems.push(`${at}: the schema uses "${keyword}", which the contract checker does not validate`);
    }
  }
  if (schema.type !== undefined) {
    const allowed = Array.isArray(schema.type) ? schema.type : [schema.type];
    const actual = jsonTypeOf(value);
    const matches = allowed.some((type) => type === actual || (type === 'number' && actual === 'integer'));
    if (!matches) {
      problems.push(`${at}: expected ${allowed.join(' or ')}, got ${actual}`);
      return problems;
    }
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((candidate) => sameJson(candidate, value))) {
    problems.push(`${at}: not one of the ${schema.enum.length} documented values`);
  }
  if (typeof schema.format === 'string') {
    problems.push(...checkFormat(value, schema.format, at));
  }
  if (isRecord(value)) {
    problems.push(...checkObject(value, schema, at));
  }
  if (Array.isArray(value) && isRecord(schema.items)) {
    value.forEach((item, index) =>
      problems.push(...validateJson(item, schema.items as JsonSchema, `${at}[${index}]`)),
    );
  }
  return problems;
}

/** The JSON Schema type of a parsed JSON value; integers are told apart from other numbers. */
export function jsonTypeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function checkObject(value: Record<string, unknown>, schema: JsonSchema, at: string): string[] {
  const problems: string[] = [];
  const properties = isRecord(schema.properties) ? schema.properties : {};
  for (const name of Array.isArray(schema.required) ? (schema.required as unknown[]) : []) {
    if (typeof name === 'string' && !Object.hasOwn(value, name)) {
      problems.push(`${at}: required property "${name}" is missing`);
    }
  }
  for (const [name, child] of Object.entries(value)) {
    const path = `${at}.${name}`;
    const propertySchema = properties[name];
    if (isRecord(propertySchema)) {
      problems.push(...validateJson(child, propertySchema, path));
    } else if (schema.additionalProperties === false) {
      problems.push(`${path}: not a documented property`);
    } else if (isRecord(schema.additionalProperties)) {
      problems.push(...validateJson(child, schema.additionalProperties, path));
    }
  }
  return problems;
}

function checkFormat(value: unknown, format: string, at: string): string[] {
  switch (format) {
    case 'int32':
      return typeof value === 'number' && (value < INT32.min || value > INT32.max)
        ? [`${at}: outside the int32 range`]
        : [];
    case 'int64':
      return typeof value === 'number' && !Number.isSafeInteger(value) ? [`${at}: not a safe int64`] : [];
    case 'date-time':
      return typeof value === 'string' && (!DATE_TIME.test(value) || Number.isNaN(Date.parse(value)))
        ? [`${at}: not an RFC 3339 date-time`]
        : [];
    default:
      return [`${at}: format "${format}" is not validated by the contract checker`];
  }
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
