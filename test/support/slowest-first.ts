import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The files that take seconds each (a TypeScript program over the README, the optional-peers
 * compile and its node processes, the redaction canaries over megabyte values), slowest first.
 * Vitest orders by the durations of the last run when it has them, but only within a project and
 * projects one after the other; on a fresh clone it has none and orders by file size. Started
 * first, these overlap with everything else instead of leaving one worker busy at the end.
 */
const SLOWEST = [
  'test/readme-snippets.e2e-spec.ts',
  'test/optional-peers.e2e-spec.ts',
  'lib/redaction/doppler-logger.spec.ts',
  'lib/redaction/redactor.spec.ts',
  'test/hostile-transport.e2e-spec.ts',
  'lib/validation/secrets-masking.property.spec.ts',
];

export class SlowestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (spec: TestSpecification): number => {
      const index = SLOWEST.findIndex((path) => spec.moduleId.endsWith(`/${path}`));
      return index === -1 ? SLOWEST.length : index;
    };
    return sorted
      .map((spec, order) => ({ spec, order }))
      .sort((a, b) => rank(a.spec) - rank(b.spec) || a.order - b.order)
      .map(({ spec }) => spec);
  }
}
