/**
 * The prelude put in front of each README snippet before it is type-checked.
 *
 * README snippets are fragments: they use `DopplerModule` without importing it, or an app's
 * `AppSecrets`, `seed` or `createPool` that the reader is assumed to have. The prelude supplies
 * exactly the names a snippet uses (free identifiers) but neither declares nor imports:
 *
 * - library names, imported from their public entry point (`nestjs-doppler`, `/testing`,
 *   `/health`, `/config`). The list is read from the entry files themselves, so it cannot
 *   drift from the API: a name the library stops exporting is no longer imported and the
 *   snippet fails with "Cannot find name";
 * - names from the app's usual packages (Nest, @nestjs/config, class-validator, zod, vitest,
 *   ...), from the list below; `tsc` checks the list itself (see `preludeSelfCheck`);
 * - `declare` stubs for app-level names (`APP_STUBS`). A stub may use other names; those are
 *   resolved the same way.
 *
 * Anything else stays free and fails to compile, which is the point.
 */
import ts from 'typescript';

/** Names from the app's packages that snippets may use without importing. `type X`: type-only. */
export const PACKAGE_IMPORTS: Readonly<Record<string, readonly string[]>> = {
  '@nestjs/common': [
    'BadGatewayException',
    'Controller',
    'Get',
    'Global',
    'Inject',
    'Injectable',
    'Logger',
    'Module',
    'Post',
    'type DynamicModule',
    'type OnApplicationShutdown',
    'type OnModuleInit',
  ],
  '@nestjs/core': ['NestFactory'],
  '@nestjs/config': ['ConfigModule', 'ConfigService', 'registerAs'],
  '@nestjs/testing': ['Test', 'type TestingModule'],
  '@nestjs/terminus': ['HealthCheck', 'HealthCheckService', 'TerminusModule'],
  'class-validator': [
    'Allow',
    'IsBoolean',
    'IsInt',
    'IsOptional',
    'IsString',
    'IsUrl',
    'Max',
    'Min',
    'MinLength',
  ],
  'class-transformer': ['Transform', 'Type'],
  rxjs: ['Observable', 'firstValueFrom'],
  zod: ['z'],
  vitest: ['afterAll', 'afterEach', 'beforeAll', 'beforeEach', 'describe', 'expect', 'it', 'vi'],
};

/**
 * App-level names the README assumes the reader's app has. Each is declared only when a
 * snippet uses it without declaring it. `AppSecrets` has the fields of the Quick start class.
 */
export const APP_STUBS: Readonly<Record<string, string>> = {
  AppSecrets: 'declare class AppSecrets { DATABASE_URL: string; PORT: number; PAYMENTS_API_KEY: string; }',
  AppModule: 'declare class AppModule {}',
  createPool: 'declare function createPool(url: string, port?: number): unknown;',
  pool: 'declare const pool: { reconnect(url: string): void };',
  Pool: 'declare class Pool { constructor(url: string); query(sql: string): Promise<unknown>; end(): Promise<void>; }',
  secrets: 'declare const secrets: SecretsService<AppSecrets>;',
  seed: 'declare const seed: EmulatorSeed;',
  token: 'declare const token: string;',
  upstream: 'declare const upstream: Response;',
};

/** Modules of the reader's app that snippets import (relative to the snippet), with their text. */
export const VIRTUAL_MODULES: Readonly<Record<string, string>> = {
  'app-secrets.ts': `export ${APP_STUBS.AppSecrets}`,
};

/**
 * The virtual CommonJS Nest app that the README's file blocks (```` ```ts file=... ````) belong
 * to, under test/.readme-snippets: the files `nest new` generates that those blocks import, as
 * `@nestjs/cli@11 new` writes them, and a package.json that makes its .ts files CommonJS.
 */
export const NEST_APP_DIR = 'nest-app';
export const NEST_APP_FILES: Readonly<Record<string, string>> = {
  'package.json': JSON.stringify({ name: 'nest-app', private: true, type: 'commonjs' }),
  'src/app.controller.ts': [
    "import { Controller, Get } from '@nestjs/common';",
    "import { AppService } from './app.service';",
    '',
    '@Controller()',
    'export class AppController {',
    '  constructor(private readonly appService: AppService) {}',
    '',
    '  @Get()',
    '  getHello(): string {',
    '    return this.appService.getHello();',
    '  }',
    '}',
    '',
  ].join('\n'),
  'src/app.service.ts': [
    "import { Injectable } from '@nestjs/common';",
    '',
    '@Injectable()',
    'export class AppService {',
    '  getHello(): string {',
    "    return 'Hello World!';",
    '  }',
    '}',
    '',
  ].join('\n'),
};

export interface ImportableName {
  readonly module: string;
  readonly typeOnly: boolean;
}

function hasExportModifier(node: ts.Node): boolean {
  return (
    ts.canHaveModifiers(node) &&
    (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword)
  );
}

/**
 * What a public entry file exports, by name: its `export { ... } from` re-exports and its own
 * exported declarations. `export *` is refused, so that nothing is silently left out.
 */
export function readEntryExports(fileName: string, text: string): Map<string, boolean> {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const names = new Map<string, boolean>(); // name -> type-only
  for (const statement of source.statements) {
    if (ts.isExportDeclaration(statement)) {
      const clause = statement.exportClause;
      if (clause === undefined || !ts.isNamedExports(clause)) {
        throw new Error(`${fileName}: 'export *' is not supported by the README prelude; list the names`);
      }
      for (const element of clause.elements) {
        names.set(element.name.text, statement.isTypeOnly || element.isTypeOnly);
      }
    } else if (hasExportModifier(statement)) {
      if (ts.isVariableStatement(statement)) {
        for (const declaration of statement.declarationList.declarations) {
          if (ts.isIdentifier(declaration.name)) names.set(declaration.name.text, false);
        }
      } else if (
        (ts.isClassDeclaration(statement) ||
          ts.isFunctionDeclaration(statement) ||
          ts.isEnumDeclaration(statement)) &&
        statement.name !== undefined
      ) {
        names.set(statement.name.text, false);
      } else if (ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement)) {
        names.set(statement.name.text, true);
      }
    }
  }
  return names;
}

/**
 * Every name a snippet may use without importing it: the library's entries first (in the
 * order given: the main entry wins a name two entries export), then `PACKAGE_IMPORTS`.
 */
export function importableNames(
  entries: readonly { readonly module: string; readonly exports: ReadonlyMap<string, boolean> }[],
): Map<string, ImportableName> {
  const importable = new Map<string, ImportableName>();
  for (const entry of entries) {
    for (const [name, typeOnly] of entry.exports) {
      if (!importable.has(name)) importable.set(name, { module: entry.module, typeOnly });
    }
  }
  for (const [module, specs] of Object.entries(PACKAGE_IMPORTS)) {
    for (const spec of specs) {
      const typeOnly = spec.startsWith('type ');
      const name = typeOnly ? spec.slice('type '.length) : spec;
      if (!importable.has(name)) importable.set(name, { module, typeOnly });
    }
  }
  return importable;
}

interface ScannedNames {
  /** Names declared anywhere in the text (any scope), imported names included. */
  readonly declared: Set<string>;
  /** Identifiers used as a value or a type (not property names, not declaration names). */
  readonly referenced: Set<string>;
}

/** Whether `id` is the name a declaration introduces, or a property/member name, rather than a use. */
function isNotAReference(id: ts.Identifier): boolean {
  const parent = id.parent;
  if (ts.isPropertyAccessExpression(parent) || ts.isQualifiedName(parent)) {
    return ts.isPropertyAccessExpression(parent) ? parent.name === id : parent.right === id;
  }
  if (ts.isImportSpecifier(parent) || ts.isExportSpecifier(parent)) return true;
  if (ts.isBindingElement(parent) && parent.propertyName === id) return true;
  if (ts.isLabeledStatement(parent) || ts.isBreakOrContinueStatement(parent)) return true;
  if (ts.isImportTypeNode(parent) && parent.qualifier === id) return true;
  if (ts.isMetaProperty(parent)) return true;
  return (
    (ts.isPropertyAssignment(parent) ||
      ts.isVariableDeclaration(parent) ||
      ts.isFunctionDeclaration(parent) ||
      ts.isFunctionExpression(parent) ||
      ts.isClassDeclaration(parent) ||
      ts.isClassExpression(parent) ||
      ts.isInterfaceDeclaration(parent) ||
      ts.isTypeAliasDeclaration(parent) ||
      ts.isEnumDeclaration(parent) ||
      ts.isEnumMember(parent) ||
      ts.isModuleDeclaration(parent) ||
      ts.isParameter(parent) ||
      ts.isTypeParameterDeclaration(parent) ||
      ts.isPropertyDeclaration(parent) ||
      ts.isPropertySignature(parent) ||
      ts.isMethodDeclaration(parent) ||
      ts.isMethodSignature(parent) ||
      ts.isGetAccessorDeclaration(parent) ||
      ts.isSetAccessorDeclaration(parent) ||
      ts.isBindingElement(parent) ||
      ts.isImportClause(parent) ||
      ts.isNamespaceImport(parent) ||
      ts.isImportEqualsDeclaration(parent) ||
      ts.isNamedTupleMember(parent)) &&
    parent.name === id
  );
}

/** Names a declaration introduces into the scope that holds it. */
function declaredBy(node: ts.Node): string[] {
  if (
    ts.isVariableDeclaration(node) ||
    ts.isParameter(node) ||
    ts.isBindingElement(node) ||
    ts.isFunctionDeclaration(node) ||
    ts.isClassDeclaration(node) ||
    ts.isInterfaceDeclaration(node) ||
    ts.isTypeAliasDeclaration(node) ||
    ts.isEnumDeclaration(node) ||
    ts.isModuleDeclaration(node) ||
    ts.isTypeParameterDeclaration(node) ||
    ts.isImportClause(node) ||
    ts.isNamespaceImport(node) ||
    ts.isImportSpecifier(node) ||
    ts.isImportEqualsDeclaration(node)
  ) {
    const name = node.name;
    return name !== undefined && ts.isIdentifier(name) ? [name.text] : [];
  }
  return [];
}

export function scanNames(text: string): ScannedNames {
  const source = ts.createSourceFile('snippet.ts', text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const declared = new Set<string>();
  const referenced = new Set<string>();
  const visit = (node: ts.Node): void => {
    for (const name of declaredBy(node)) declared.add(name);
    if (ts.isIdentifier(node) && !isNotAReference(node)) referenced.add(node.text);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { declared, referenced };
}

export interface Prelude {
  /** The lines to put before the snippet (imports, then stubs). */
  readonly lines: readonly string[];
  /** Names the snippet uses that the prelude could not supply (they will fail to compile). */
  readonly unresolved: readonly string[];
}

/** Builds the prelude for one snippet: imports and stubs for the names it uses but does not declare. */
export function buildPrelude(snippet: string, importable: ReadonlyMap<string, ImportableName>): Prelude {
  const own = scanNames(snippet);
  const pending = [...own.referenced];
  const seen = new Set<string>();
  const imports = new Map<string, string[]>();
  const stubs: string[] = [];
  const unresolved: string[] = [];
  for (let name = pending.shift(); name !== undefined; name = pending.shift()) {
    if (seen.has(name) || own.declared.has(name)) continue;
    seen.add(name);
    const known = importable.get(name);
    if (known !== undefined) {
      const specifiers = imports.get(known.module) ?? [];
      specifiers.push(known.typeOnly ? `type ${name}` : name);
      imports.set(known.module, specifiers);
      continue;
    }
    const stub = APP_STUBS[name];
    if (stub !== undefined) {
      stubs.push(stub);
      const used = scanNames(stub);
      pending.push(...[...used.referenced].filter((n) => !used.declared.has(n)));
      continue;
    }
    unresolved.push(name);
  }
  const importLines = [...imports.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([module, specifiers]) => `import { ${specifiers.sort().join(', ')} } from '${module}';`);
  return { lines: [...importLines, ...stubs], unresolved };
}

/**
 * A snippet that uses every `PACKAGE_IMPORTS` name and every stub, so that a listed name that
 * does not exist, or a stub that does not compile, fails the test too.
 */
export function preludeSelfCheckSnippet(): string {
  const specs = Object.values(PACKAGE_IMPORTS).flat();
  const values = [...specs.filter((s) => !s.startsWith('type ')), ...Object.keys(APP_STUBS)];
  const types = specs.filter((s) => s.startsWith('type ')).map((s) => s.slice('type '.length));
  return `void [${values.join(', ')}];\ntype UsedTypes = [${types.join(', ')}];\nexport type { UsedTypes };`;
}
