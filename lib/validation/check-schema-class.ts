import type { Type } from '@nestjs/common';
import { DopplerConfigurationError } from '../errors/doppler.errors.js';
import { printableName } from '../core/flat-string-map.js';
import { attempt, describeThrown } from './describe-thrown.js';
import { metadataStorage, type MetadataStorageView, type RuleMetadata } from './class-validator-metadata.js';

/** What a schema class declares, once checked. */
export interface DeclaredSchema {
  /** Property names carrying at least one class-validator decorator. */
  readonly keys: ReadonlySet<string>;
}

const checked = new WeakMap<Type<object>, DeclaredSchema>();

/**
 * Checks a schema class for the mistakes that would otherwise surface later as a confusing
 * error: a property without a class-validator decorator (class-validator's whitelist drops it,
 * though TypeScript types it as present, and `get()` then throws), a class that declares
 * nothing at all, and asynchronous validators (validation runs synchronously, and
 * class-validator's `validateSync` silently skips them). The answer is kept per class.
 *
 * A property is seen when it is an own property of an instance: ES2022 class fields are
 * (`useDefineForClassFields`, the default from target ES2022), even without an initializer.
 *
 * @throws {DopplerConfigurationError} naming the keys and what to add.
 */
export function checkSchemaClass(schema: Type<object>): DeclaredSchema {
  const known = checked.get(schema);
  if (known !== undefined) return known;
  const name = schemaClassName(schema);
  const storage = metadataStorage();
  const rules = storage.getTargetValidationMetadatas(schema, '', false, false, undefined);
  const keys = new Set<string>();
  for (const rule of rules) if (typeof rule.propertyName === 'string') keys.add(rule.propertyName);
  if (keys.size === 0) {
    throw new DopplerConfigurationError(
      `The schema class ${name} declares no secrets: none of its properties has a class-validator decorator. ` +
        'Add one to each secret it should read (e.g. @IsString(), @IsOptional() for an optional one, or @Allow() to accept any value).',
    );
  }
  const created = attempt(() => Object.keys(new schema()));
  if (!created.ok) {
    throw new DopplerConfigurationError(
      `The schema class ${name} could not be constructed without arguments (its constructor threw ${describeThrown(created.thrown)}); class-transformer needs to.`,
    );
  }
  const undecorated = created.value.filter((key) => !keys.has(key));
  if (undecorated.length > 0) {
    throw new DopplerConfigurationError(
      `The schema class ${name} has ${undecorated.length === 1 ? 'a property' : 'properties'} without a class-validator decorator: ${listNames(undecorated)}. ` +
        'Validation would drop them and get() would throw for them. Add a decorator to each ' +
        '(e.g. @IsString(), @IsOptional() for an optional one, or @Allow() to accept any value).',
    );
  }
  const asynchronous = asyncRules(storage, rules);
  if (asynchronous.length > 0) {
    throw new DopplerConfigurationError(
      `The schema class ${name} uses asynchronous validators (${asynchronous.join(', ')}). Secrets are validated synchronously, ` +
        'where class-validator would skip them silently: make those validators synchronous.',
    );
  }
  const declared: DeclaredSchema = { keys };
  checked.set(schema, declared);
  return declared;
}

/** `KEY (constraintName)` for each rule whose constraint class is marked `async: true`. */
function asyncRules(storage: MetadataStorageView, rules: readonly RuleMetadata[]): string[] {
  if (typeof storage.getTargetValidatorConstraints !== 'function') return [];
  const found = new Set<string>();
  for (const rule of rules) {
    if (rule.constraintCls === undefined || typeof rule.propertyName !== 'string') continue;
    for (const constraint of storage.getTargetValidatorConstraints(rule.constraintCls)) {
      if (constraint.async === true) {
        const label = typeof constraint.name === 'string' ? ` (${constraint.name})` : '';
        found.add(`${printableName(rule.propertyName)}${label}`);
      }
    }
  }
  return [...found];
}

function listNames(names: readonly string[]): string {
  const shown = names.slice(0, 20).map((n) => printableName(n));
  return names.length > shown.length
    ? `${shown.join(', ')} and ${names.length - shown.length} more`
    : shown.join(', ');
}

/** The class's own `name`, read without running a static getter; what errors call the schema. */
export function schemaClassName(schema: Type<object>): string {
  const name: unknown = Object.getOwnPropertyDescriptor(schema, 'name')?.value;
  return typeof name === 'string' && name.length > 0 ? name : '(an anonymous class)';
}
