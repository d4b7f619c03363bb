/**
 * The README's Prisma seed recipe, run as written: its schema.prisma, prisma.config.ts and
 * prisma/seed.ts with the Quick start's `AppSecrets`, in an ES module project, through Prisma's
 * real CLI (`prisma generate`, then `prisma db seed`, which runs the seed), Prisma 7's generated
 * client with `@prisma/adapter-pg`, against the emulator and a real PostgreSQL server (PGlite over
 * TCP on 127.0.0.1) whose port only the DATABASE_URL secret names.
 *
 * What this machine does not allow: Prisma's CLI wants its schema engine, a native binary it
 * downloads from Prisma's servers, before `generate` and `db` commands. Those two commands never
 * run it (the client's query compiler is WebAssembly, shipped in the package), so
 * PRISMA_SCHEMA_ENGINE_BINARY points at a stand-in that records any run and fails, and the test
 * checks it never ran. The table is created with SQL, since `prisma migrate` would run the engine.
 */
import { access, chmod, readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DopplerEmulator } from 'nestjs-doppler/testing';
import { PostgresServer } from './support/postgres-server.js';
import { readmeRecipe, readmeRecipes } from './support/readme-recipes.js';
import { RecipeProject, transpile, type ProcessResult } from './support/recipe-project.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SLOW = 180_000;
const TOKEN = 'dp.st.dev.prisma-recipe-token';
const PASSWORD = 'pg-password-prisma-41d8cd98';
const PAYMENTS_KEY = 'payments-key-prisma-0123456789abcdef';

/** Stands in for Prisma's schema engine binary; any run leaves a trace and fails. */
const ENGINE_STAND_IN = `#!/bin/sh
echo "schema engine stand-in was run" >> "$(dirname "$0")/engine-stand-in-ran"
exit 1
`;

/** Type-checks the seed (and what it imports: the generated client, the schema) as an app's tsc would. */
function typeErrors(project: RecipeProject, file: string): string[] {
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    experimentalDecorators: true,
    emitDecoratorMetadata: true,
    skipLibCheck: true,
    noEmit: true,
    types: ['node'],
    // The library's own declarations, as its published types give them.
    paths: { 'nestjs-doppler': [join(ROOT, 'lib/index.ts')] },
  };
  const program = ts.createProgram([join(project.dir, file)], options);
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.category === ts.DiagnosticCategory.Error)
    .map((d) => {
      const where = d.file
        ? `${relative(project.dir, d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}`
        : '';
      return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
}

async function typeScriptFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => join(e.parentPath, e.name));
}

describe('Prisma seed recipe', () => {
  let postgres: PostgresServer;
  let emulator: DopplerEmulator;
  let project: RecipeProject;
  let databaseUrl = '';
  let prismaEnv: Record<string, string> = {};
  let generated: ProcessResult;

  const canaries = () => [TOKEN, PASSWORD, databaseUrl, PAYMENTS_KEY];
  const expectNothingSecret = (result: ProcessResult) => {
    for (const canary of canaries()) expect(result.output).not.toContain(canary);
  };
  const prisma = (...args: string[]) =>
    project.run(['node_modules/prisma/build/index.js', ...args], prismaEnv, SLOW);

  beforeAll(async () => {
    postgres = await PostgresServer.start();
    databaseUrl = postgres.url('app', PASSWORD, 'app');
    emulator = new DopplerEmulator({
      projects: {
        app: {
          configs: {
            dev: { secrets: { DATABASE_URL: databaseUrl, PORT: '3000', PAYMENTS_API_KEY: PAYMENTS_KEY } },
          },
        },
      },
      tokens: [{ token: TOKEN, project: 'app', config: 'dev' }],
    });
    project = await RecipeProject.create('esm', 'prisma');
    for (const [path, recipe] of readmeRecipes('prisma')) await project.write(path, `${recipe.code}\n`);
    await project.write('src/app-secrets.ts', readmeRecipe('app-secrets').code);
    await project.write('engine-stand-in', ENGINE_STAND_IN);
    await chmod(join(project.dir, 'engine-stand-in'), 0o755);
    prismaEnv = {
      DOPPLER_TOKEN: TOKEN,
      DOPPLER_API_URL: await emulator.start(),
      PRISMA_SCHEMA_ENGINE_BINARY: join(project.dir, 'engine-stand-in'),
      // No update check against Prisma's servers (unreachable here, and not what is tested).
      CHECKPOINT_DISABLE: '1',
    };
    generated = await prisma('generate');
  }, SLOW);

  afterAll(async () => {
    await project?.remove();
    await emulator?.stop();
    await postgres?.stop();
  });

  it('the README has the three files', () => {
    expect([...readmeRecipes('prisma').keys()].sort()).toEqual([
      'prisma.config.ts',
      'prisma/schema.prisma',
      'prisma/seed.ts',
    ]);
  });

  it("Prisma's CLI loads prisma.config.ts and generates the client, without its schema engine", async () => {
    expect(generated.output).toContain('Loaded Prisma config from prisma.config.ts');
    expect(generated.output).toMatch(/Generated Prisma Client \(7\.\d+\.\d+\) to \.\/src\/generated\/prisma/);
    expect(generated.code).toBe(0);
    await expect(access(join(project.dir, 'src/generated/prisma/client.ts'))).resolves.toBeUndefined();
  });

  it(
    'the seed type-checks against the generated client and the library',
    () => {
      expect(typeErrors(project, 'prisma/seed.ts')).toEqual([]);
    },
    SLOW,
  );

  it(
    '`prisma db seed` runs the seed: the row is in the database only the secret names, nothing secret is printed',
    async () => {
      for (const file of [
        join(project.dir, 'prisma/seed.ts'),
        join(project.dir, 'src/app-secrets.ts'),
        ...(await typeScriptFiles(join(project.dir, 'src/generated'))),
      ]) {
        const path = relative(project.dir, file);
        await project.write(
          join('dist', path).replace(/\.ts$/, '.js'),
          transpile(await readFile(file, 'utf8'), 'esm', path),
        );
      }
      // What `prisma migrate deploy` would do, which needs the schema engine binary.
      await postgres.db.exec('CREATE TABLE "User" ("id" SERIAL PRIMARY KEY, "email" TEXT NOT NULL UNIQUE)');
      const before = emulator.requestCount;

      const seeded = await prisma('db', 'seed');
      expect(seeded.output).toContain('Running seed command `node dist/prisma/seed.js`');
      expect(seeded.output).toContain('The seed command has been executed.');
      expect(seeded.code).toBe(0);
      const { rows } = await postgres.db.query('SELECT "email" FROM "User"');
      expect(rows).toEqual([{ email: 'admin@example.com' }]);
      expect(emulator.requestCount).toBe(before + 1);
      expect(seeded.output).toMatch(/Loaded 3 secrets from Doppler \(project "app", config "dev"\)/);
      expectNothingSecret(seeded);
      expectNothingSecret(generated);
    },
    SLOW,
  );

  it(
    'never ran the schema engine stand-in (so nothing above depended on the missing binary)',
    async () => {
      await expect(access(join(project.dir, 'engine-stand-in-ran'))).rejects.toThrow(/ENOENT/);
      // The stand-in itself works: a command that needs the engine does run it. (Not its exit
      // code: Prisma 7.10 exits 0 or 1 at random when the engine dies.)
      await prisma('migrate', 'diff', '--from-empty', '--to-schema', 'prisma/schema.prisma', '--script');
      await expect(access(join(project.dir, 'engine-stand-in-ran'))).resolves.toBeUndefined();
    },
    SLOW,
  );
});
