import type { Type } from '@nestjs/common';
import { metadataStorage } from './class-validator-metadata.js';

const pinned = new WeakSet<Type<object>>();

/**
 * Makes validating `schema` cost linear time in its number of keys. On every validation,
 * class-validator asks its container for the instance behind each constraint
 * (`ConstraintMetadata.instance`), and its default container finds it with a linear search over
 * every constraint instance in the process; each decorator use (`@IsString()` on each key)
 * brings its own constraint class, so a schema of n keys makes n searches over n entries or
 * more (10,000 keys: seconds). The classes class-validator generates for its own decorators
 * (`registerDecorator` with a plain validator object: every built-in decorator) hold nothing but
 * a call to that object, so one instance is made (as the default container would make it) and
 * kept on their metadata, where class-validator reads it. A constraint class of the
 * app (`@ValidatorConstraint()`), which a DI container may build, is left to the container.
 * Done once per class.
 */
export function pinConstraintInstances(schema: Type<object>): void {
  if (pinned.has(schema)) return;
  pinned.add(schema);
  const storage = metadataStorage();
  if (typeof storage.getTargetValidatorConstraints !== 'function') return;
  const classes = new Set<new () => unknown>();
  for (const rule of storage.getTargetValidationMetadatas(schema, '', false, false, undefined)) {
    if (isGeneratedConstraint(rule.constraintCls)) classes.add(rule.constraintCls);
  }
  for (const constraintClass of classes) {
    for (const constraint of storage.getTargetValidatorConstraints(constraintClass)) {
      if (
        constraint.target !== constraintClass ||
        Object.prototype.hasOwnProperty.call(constraint, 'instance')
      ) {
        continue;
      }
      // Built here, as the default container would: asking it would cost the very linear
      // search this avoids, once per class (and a DI container cannot know a generated class).
      Object.defineProperty(constraint, 'instance', { value: new constraintClass(), configurable: true });
    }
  }
}

const GENERATED_METHODS = ['constructor', 'defaultMessage', 'validate'].join();

/** The shape of the class `registerDecorator` makes around a validator object. */
function isGeneratedConstraint(value: unknown): value is new () => unknown {
  if (typeof value !== 'function' || value.name !== 'CustomConstraint' || value.length !== 0) return false;
  const prototype = (value as { prototype?: unknown }).prototype;
  if (prototype === null || typeof prototype !== 'object') return false;
  return Object.getOwnPropertyNames(prototype).sort().join() === GENERATED_METHODS;
}
