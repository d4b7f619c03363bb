import type { Type } from '@nestjs/common';
import { getMetadataStorage } from 'class-validator';

/** One rule class-validator holds for a property (the parts read here; stable since 0.14). */
export interface RuleMetadata {
  readonly type?: unknown;
  readonly propertyName?: unknown;
  readonly constraintCls?: unknown;
  readonly constraints?: unknown;
  readonly each?: unknown;
  /** A per-rule condition (class-validator 0.15). */
  readonly validateIf?: unknown;
}

/** One constraint class class-validator holds (the parts read here). */
export interface ConstraintMetadata {
  readonly target?: unknown;
  readonly instance?: unknown;
  readonly async?: unknown;
  readonly name?: unknown;
}

/** class-validator's metadata storage, as far as this library reads it. */
export interface MetadataStorageView {
  getTargetValidationMetadatas(
    target: Type<object>,
    schema: string | undefined,
    always: boolean,
    strictGroups: boolean,
    groups?: string[],
  ): readonly RuleMetadata[];
  getTargetValidatorConstraints?(target: unknown): readonly ConstraintMetadata[];
  groupByPropertyName?(rules: readonly RuleMetadata[]): Record<string, readonly RuleMetadata[]>;
}

/** The process's class-validator metadata storage, typed by what is read of it. */
export function metadataStorage(): MetadataStorageView {
  return getMetadataStorage();
}
