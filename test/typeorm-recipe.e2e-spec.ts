/**
 * The README's TypeORM recipes, run as written: each `DataSource` file (ES modules with top-level
 * await, CommonJS exporting a promise) with the Quick start's `AppSecrets`, compiled into a
 * project of its module system, loaded by a plain `node` script and by TypeORM's own CLI.
 * The secrets come from the emulator over HTTP; the database is a real PostgreSQL server (PGlite
 * over TCP on 127.0.0.1) whose port only the DATABASE_URL secret names, so data arriving there
 * proves the secret reached TypeORM's `postgres` driver. Every output is searched for the token,
 * the database password and the other values.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DopplerEmulator } from 'nestjs-doppler/testing';
import { PostgresServer } from './support/postgres-server.js';
import { readmeRecipe } from './support/readme-recipes.js';
import { RecipeProject, type ModuleSystem, type ProcessResult } from './support/recipe-project.js';

const SLOW = 120_000;

/** What each module system's own script does with the exported default (a DataSource, or a promise of one). */
const QUERY_SCRIPT: Record<ModuleSystem, string> = {
  esm: `import dataSource from '../dist/data-source.js';
await dataSource.initialize();
await dataSource.query('CREATE TABLE IF NOT EXISTS recipe_probe (system text NOT NULL)');
await dataSource.query('INSERT INTO recipe_probe (system) VALUES ($1)', ['esm']);
const [row] = await dataSource.query('SELECT count(*)::int AS n FROM recipe_probe');
console.log(\`rows: \${row.n}\`);
await dataSource.destroy();
`,
  cjs: `import dataSourcePromise from '../dist/data-source.js';
void (async () => {
  const dataSource = await dataSourcePromise;
  await dataSource.initialize();
  await dataSource.query('CREATE TABLE IF NOT EXISTS recipe_probe (system text NOT NULL)');
  await dataSource.query('INSERT INTO recipe_probe (system) VALUES ($1)', ['cjs']);
  const [row] = await dataSource.query('SELECT count(*)::int AS n FROM recipe_probe');
  console.log(\`rows: \${row.n}\`);
  await dataSource.destroy();
})();
`,
};

const MIGRATION = `import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateUsers1700000000000 implements MigrationInterface {
  name = 'CreateUsers1700000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('CREATE TABLE "users" ("id" SERIAL PRIMARY KEY, "email" text NOT NULL)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE "users"');
  }
}
`;

describe.each(['esm', 'cjs'] as const)('TypeORM DataSource recipe (%s)', (system) => {
  const token = `dp.st.dev.typeorm-${system}-recipe-token`;
  const revoked = `dp.st.dev.typeorm-${system}-revoked-token`;
  const password = `pg-password-${system}-7f3a9c2e`;
  const paymentsKey = `payments-key-${system}-0123456789abcdef`;
  let postgres: PostgresServer;
  let emulator: DopplerEmulator;
  let project: RecipeProject;
  let databaseUrl = '';
  let env: Record<string, string> = {};

  const canaries = () => [token, revoked, password, encodeURIComponent(password), databaseUrl, paymentsKey];
  const expectNothingSecret = (result: ProcessResult) => {
    for (const canary of canaries()) expect(result.output).not.toContain(canary);
  };
  const typeorm = (...args: string[]) =>
    project.run(['node_modules/typeorm/cli.js', ...args, '-d', 'dist/data-source.js'], env);

  beforeAll(async () => {
    postgres = await PostgresServer.start();
    databaseUrl = postgres.url('app', password, 'app');
    emulator = new DopplerEmulator({
      projects: {
        app: {
          configs: {
            dev: { secrets: { DATABASE_URL: databaseUrl, PORT: '3000', PAYMENTS_API_KEY: paymentsKey } },
          },
        },
      },
      tokens: [
        { token, project: 'app', config: 'dev' },
        { token: revoked, project: 'app', config: 'dev' },
      ],
    });
    env = { DOPPLER_TOKEN: token, DOPPLER_API_URL: await emulator.start() };
    emulator.revokeToken(revoked);

    project = await RecipeProject.create(system, `typeorm-${system}`);
    const recipe = readmeRecipe(`typeorm-${system}`, 'src/data-source.ts');
    await project.writeCompiled('dist/data-source.js', recipe.code);
    await project.writeCompiled('dist/app-secrets.js', readmeRecipe('app-secrets').code);
    await project.writeCompiled('dist/migrations/1700000000000-CreateUsers.js', MIGRATION);
    await project.writeCompiled('scripts/query.js', QUERY_SCRIPT[system]);
  }, SLOW);

  afterAll(async () => {
    await project?.remove();
    await emulator?.stop();
    await postgres?.stop();
  });

  it(
    'a script initializes the DataSource and queries the database only the secret names',
    async () => {
      const before = emulator.requestCount;
      const result = await project.run(['scripts/query.js'], env);
      expect(result.output).toContain('rows: 1');
      expect(result.code).toBe(0);
      // The rows are in the PostgreSQL server whose port only DATABASE_URL holds.
      const { rows } = await postgres.db.query<{ system: string }>('SELECT system FROM recipe_probe');
      expect(rows).toEqual([{ system }]);
      expect(emulator.requestCount).toBe(before + 1);
      // Our own log line is in the captured output, so the search below looks at real output.
      expect(result.output).toMatch(/Loaded 3 secrets from Doppler \(project "app", config "dev"\)/);
      expectNothingSecret(result);
    },
    SLOW,
  );

  it(
    "TypeORM's CLI loads the file, runs the migration and shows it as applied",
    async () => {
      const run = await typeorm('migration:run');
      expect(run.output).toContain('Migration CreateUsers1700000000000 has been executed successfully.');
      expect(run.code).toBe(0);
      const { rows } = await postgres.db.query<{ name: string }>('SELECT name FROM migrations');
      expect(rows).toEqual([{ name: 'CreateUsers1700000000000' }]);
      const table = await postgres.db.query<{ t: string | null }>(
        `SELECT to_regclass('public.users')::text AS t`,
      );
      expect(table.rows).toEqual([{ t: 'users' }]);

      const show = await typeorm('migration:show');
      expect(show.output).toMatch(/\[X\] 1 CreateUsers1700000000000/);
      expect(show.code).toBe(0);
      expectNothingSecret(run);
      expectNothingSecret(show);
    },
    SLOW,
  );

  // Only CommonJS can assign module.exports.
  if (system === 'cjs') {
    it(
      'the CLI refuses `module.exports = promise`, as the README warns (a promise has no exports to search)',
      async () => {
        await project.write(
          'dist/module-exports.js',
          "module.exports = require('./data-source.js').default;\n",
        );
        const result = await project.run(
          ['node_modules/typeorm/cli.js', 'migration:show', '-d', 'dist/module-exports.js'],
          env,
        );
        expect(result.output).toContain(
          'Given data source file must contain export of a DataSource instance',
        );
        expect(result.code).not.toBe(0);
        expectNothingSecret(result);
      },
      SLOW,
    );
  }

  it(
    'with a revoked token the CLI stops with DopplerAuthError and prints no token',
    async () => {
      const result = await project.run(
        ['node_modules/typeorm/cli.js', 'migration:show', '-d', 'dist/data-source.js'],
        { ...env, DOPPLER_TOKEN: revoked },
      );
      expect(result.code).not.toBe(0);
      // ES modules: the import fails while the CLI opens the file; CommonJS: the exported promise
      // rejects when the CLI awaits it, just after.
      expect(result.output).toContain('Error during migration show:');
      expect(result.output.includes('Unable to open file')).toBe(system === 'esm');
      expect(result.output).toMatch(/DopplerAuthError: Doppler rejected the token \(401 Unauthorized\)/);
      expectNothingSecret(result);
    },
    SLOW,
  );
});
