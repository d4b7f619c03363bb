/**
 * Every ```ts block of README.md type-checks against the library sources, with the project's
 * compiler options, so no snippet drifts from the API. A snippet is a fragment: the prelude
 * (test/support/readme-prelude.ts) imports the library and package names it uses without
 * importing them, and declares the app-level names the README assumes (`AppSecrets`, `seed`,
 * ...). One program checks all blocks; an error names the README line and column.
 *
 * Controls in the same program prove the check can fail: a wrong option name given to
 * `forRoot`, and returned from a `forRootAsync` factory (which TypeScript alone accepts), an
 * undeclared name (with its line and column inside an indented block), and a `file=` block
 * (the Jest walkthrough's app files) that is compiled as a CommonJS file of the virtual app.
 *
 * The same program checks the type specs (tsconfig.typecheck.json lists them): their
 * `expectTypeOf` lines are no-ops when Vitest runs them, so a wrong type fails `npm test` here,
 * with the packages and the library parsed once for both checks.
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import { preludeSelfCheckSnippet } from './support/readme-prelude.js';
import {
  checkSnippets,
  extractTsSnippets,
  type CheckReport,
  type CheckResult,
} from './support/readme-snippets.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const README = extractTsSnippets(readFileSync(join(ROOT, 'README.md'), 'utf8'));

/**
 * Blocks marked ```ts no-check. Raise only for a block that truly cannot compile, and say why there.
 * One: the Prisma seed recipe imports the client `prisma generate` writes, which no README check
 * has; test/prisma-recipe.e2e-spec.ts type-checks it against the real generated client.
 */
const MAX_NO_CHECK = 1;

/** The type specs, as tsconfig.typecheck.json lists them (`npx tsc -p tsconfig.typecheck.json` checks them alone). */
function typeSpecs(): string[] {
  const path = join(ROOT, 'tsconfig.typecheck.json');
  const { config } = ts.readConfigFile(path, (p) => ts.sys.readFile(p));
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, ROOT, undefined, path);
  return parsed.fileNames.map((file) => relative(ROOT, file)).sort();
}
const TYPE_SPECS = typeSpecs();

const CONTROLS = extractTsSnippets(
  [
    '# controls', //                                             line 1
    '',
    '```ts',
    "DopplerModule.forRoot({ token, tokn: 'dp.st.x' });", //     line 4
    '```',
    '',
    '```ts',
    'DopplerModule.forRootAsync({', //                           line 8
    "  useFactory: () => ({ tokenPath: '/run/token', refresh: { interval: 60_000, jitr: 0.1 } }),",
    '});',
    '```',
    '',
    '- in a list item:',
    '',
    '  ```ts',
    "  import { DopplerModule } from 'nestjs-doppler';", //     line 16
    '  DopplerModule.forRoot({ token: createPoool() });', //     line 17, column 34
    '  ```',
    '',
    '```ts no-check',
    'not code',
    '```',
    '',
    '```ts file=src/control.ts', //                             line 24: a file of the CommonJS app
    "import { AppService, Nope } from './app.service';", //    line 25: resolves, extensionless
    'export const here = import.meta.url;', //                  line 26: not in CommonJS
    'void AppService;',
    '```',
    '',
    '```ts',
    "import { expectTypeOf } from 'vitest';", //                line 31
    'expectTypeOf(DopplerModule.forRoot).toBeString();', //     line 32: a wrong type
    '```',
  ].join('\n'),
);

let report: CheckReport;
const result = (label: string, line: number): CheckResult => {
  const found = report.results.find((r) => r.input.label === label && r.input.snippet.line === line);
  if (found === undefined) throw new Error(`no result for ${label}:${line}`);
  return found;
};

beforeAll(() => {
  report = checkSnippets(
    ROOT,
    [
      ...README.checked.map((snippet) => ({ label: 'README.md', snippet })),
      ...CONTROLS.checked.map((snippet) => ({ label: 'controls.md', snippet })),
      { label: 'prelude', snippet: { line: 1, indent: 0, info: 'ts', code: preludeSelfCheckSnippet() } },
    ],
    TYPE_SPECS,
  );
  // One program of the native compiler over every block, two virtual apps and the type specs:
  // a few seconds, more on a busy machine.
}, 180_000);

describe('README.md TypeScript snippets', () => {
  it('finds the blocks; almost none is excluded', () => {
    expect(README.checked.length).toBeGreaterThan(10);
    expect(
      README.excluded.length,
      `no-check blocks at ${README.excluded.map((b) => b.line).join(', ')}`,
    ).toBeLessThanOrEqual(MAX_NO_CHECK);
  });

  it('has valid compiler options and global types', () => {
    expect(report.globalErrors).toEqual([]);
  });

  it.each(README.checked.map((s) => [s.line]))('README.md block at line %i compiles', (line) => {
    const { errors, text } = result('README.md', line);
    expect(errors, `as compiled:\n${text}`).toEqual([]);
  });

  it("compiles the prelude's own lists (every package name and stub exists)", () => {
    expect(result('prelude', 1).errors).toEqual([]);
  });

  it('fails a snippet that uses a wrong option name, at its line', () => {
    const { errors } = result('controls.md', 4);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^controls\.md:4:\d+ TS(2353|2561): .*'tokn'/);
  });

  it('fails a snippet whose options factory returns a wrong option name, at its line and column', () => {
    expect(result('controls.md', 8).errors).toEqual([
      expect.stringMatching(
        /^controls\.md:9:24 excess-property: 'tokenPath' is not a property of DopplerModuleOptions /,
      ),
      expect.stringMatching(
        /^controls\.md:9:78 excess-property: 'jitr' is not a property of DopplerRefreshOptions /,
      ),
    ]);
  });

  it('fails a snippet that uses an undeclared name, at its line and column in an indented block', () => {
    expect(result('controls.md', 16).errors).toEqual([
      "controls.md:17:34 TS2304: Cannot find name 'createPoool'.",
    ]);
    expect(CONTROLS.excluded.map((b) => b.line)).toEqual([21]);
  });

  it('compiles a file= block as that file of a CommonJS Nest app, beside the starter files', () => {
    expect(result('controls.md', 25).errors).toEqual([
      expect.stringMatching(
        /^controls\.md:25:22 TS2305: Module '"\.\/app\.service"' has no exported member 'Nope'/,
      ),
      expect.stringMatching(
        /^controls\.md:26:\d+ TS1470: The 'import\.meta' meta-property is not allowed in files which will build into CommonJS output/,
      ),
    ]);
  });

  it('fails a wrong expectTypeOf, at its line', () => {
    expect(result('controls.md', 31).errors).toEqual([expect.stringMatching(/^controls\.md:32:\d+ TS\d+: /)]);
  });
});

describe('type specs (tsconfig.typecheck.json), in the same program', () => {
  it('are the files that hold expectTypeOf lines', () => {
    expect(TYPE_SPECS).toEqual(
      expect.arrayContaining([
        'lib/config/doppler-config.types.spec.ts',
        'lib/health/doppler-health.spec.ts',
        'test/config-service.e2e-spec.ts',
      ]),
    );
  });

  it('type-check: every expectTypeOf holds', () => {
    expect(report.fileErrors).toEqual([]);
  });
});
