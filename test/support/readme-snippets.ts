/**
 * Type-checks the README's TypeScript snippets against the library sources, in one program of
 * TypeScript's native compiler (see checkSnippets).
 *
 * Each ```ts block becomes a virtual module (in memory, never written to disk) under
 * `test/.readme-snippets/`, so the package's `"type": "module"` applies and top-level `await`
 * compiles. It is the prelude (see readme-prelude.ts), then the snippet (unindented), then
 * `export {}`. The compiler options are tsconfig.json's (a virtual tsconfig.json extends it), so
 * `paths` resolve `nestjs-doppler` and its subpaths to `lib/`. Two options are turned off:
 * `noUnusedLocals` and `noUnusedParameters`, since a fragment that ends with
 * `const moduleRef = await ...` is normal in documentation and says nothing about the API.
 *
 * A block whose info string names a file (```` ```ts file=src/app.module.ts ````) is a whole file of
 * the README's walkthrough app, a Nest CommonJS starter: it is compiled as that file of a virtual
 * app (`test/.readme-snippets/nest-app/`, whose package.json says CommonJS, beside the starter's
 * own files in NEST_APP_FILES), so its extensionless relative imports resolve to the other file
 * blocks, as they do in the starter. scripts/compat-check.sh writes the same blocks into the
 * starters it generates.
 *
 * One check is added to TypeScript's: a misspelled property in an object literal that a
 * callback returns. TypeScript does not check those for excess properties
 * (microsoft/TypeScript#241), so `useFactory: () => ({ tokenPath, schema })` compiles even
 * though `tokenPath` is no option; most README snippets use exactly that form.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import {
  SyntaxKind,
  type Node,
  type ObjectLiteralExpression,
  type SourceFile,
} from '@typescript/native-preview/unstable/ast';
import {
  API,
  DiagnosticCategory,
  TypeFlags,
  type Checker,
  type Diagnostic,
  type Type,
} from '@typescript/native-preview/unstable/sync';
import ts from 'typescript';
import {
  buildPrelude,
  importableNames,
  NEST_APP_DIR,
  NEST_APP_FILES,
  readEntryExports,
  VIRTUAL_MODULES,
  type ImportableName,
} from './readme-prelude.js';

export interface Snippet {
  /** 1-based line, in the Markdown file, of the snippet's first line of code. */
  readonly line: number;
  /** Columns of indentation removed from each line (a block inside a list item). */
  readonly indent: number;
  /** The fence's info string, e.g. `ts` or `ts no-check`. */
  readonly info: string;
  readonly code: string;
}

const TS_LANGUAGES = new Set(['ts', 'typescript']);
/** Info-string word that excludes a block from checking. Keep its use rare, and say why nearby. */
export const NO_CHECK = 'no-check';

/** Every fenced block of the Markdown text, with its info string and position. */
export function extractFencedBlocks(markdown: string): Snippet[] {
  const lines = markdown.split(/\r?\n/);
  const blocks: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^( *)(`{3,}|~{3,})(.*)$/.exec(lines[i] ?? '');
    if (open === null) continue;
    const [, indentText = '', fence = '', info = ''] = open;
    const closing = new RegExp(`^\\s*${fence[0] === '`' ? '`' : '~'}{${fence.length},}\\s*$`);
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !closing.test(lines[j] ?? '')) body.push(lines[j++] ?? '');
    const indent = indentText.length;
    blocks.push({
      line: i + 2,
      indent,
      info: info.trim(),
      code: body.map((l) => l.slice(Math.min(indent, l.length - l.trimStart().length))).join('\n'),
    });
    i = j;
  }
  return blocks;
}

/** The app file a block is (`file=src/app.module.ts` in its info string), if it names one. */
export function snippetFile(snippet: Pick<Snippet, 'info'>): string | undefined {
  return snippet.info
    .split(/\s+/)
    .find((word) => word.startsWith('file='))
    ?.slice('file='.length);
}

/** The ```ts blocks to check, and those marked `no-check`. */
export function extractTsSnippets(markdown: string): { checked: Snippet[]; excluded: Snippet[] } {
  const blocks = extractFencedBlocks(markdown).filter((b) => TS_LANGUAGES.has(b.info.split(/\s+/)[0] ?? ''));
  const excluded = blocks.filter((b) => b.info.split(/\s+/).includes(NO_CHECK));
  return { checked: blocks.filter((b) => !excluded.includes(b)), excluded };
}

export interface CheckInput {
  /** How errors name the source, e.g. `README.md`. */
  readonly label: string;
  readonly snippet: Snippet;
}

export interface CheckResult {
  readonly input: CheckInput;
  /** The virtual module as compiled: prelude, snippet, `export {}`. */
  readonly text: string;
  /** One line per error: `README.md:111:10 TS2339: Property 'logger' does not exist ...`. */
  readonly errors: readonly string[];
}

export interface CheckReport {
  readonly results: readonly CheckResult[];
  /** Errors not tied to a snippet (options, global types). */
  readonly globalErrors: readonly string[];
  /**
   * Errors in the files on disk given as `files` (e.g. the type specs' `expectTypeOf` lines), as
   * `path:line:column TS1234: message` with the path relative to the repository.
   */
  readonly fileErrors: readonly string[];
}

/** tsconfig.json's compiler options, read with the TypeScript API (for `paths`). */
function loadCompilerOptions(repoRoot: string): ts.CompilerOptions {
  const configPath = join(repoRoot, 'tsconfig.json');
  const config = ts.readConfigFile(configPath, (p) => ts.sys.readFile(p));
  if (config.error) throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, repoRoot, undefined, configPath);
  if (parsed.errors.length > 0) {
    throw new Error(
      parsed.errors.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')).join('\n'),
    );
  }
  return parsed.options;
}

/** The library's public entries, from tsconfig `paths`, main entry first. */
function libraryEntries(repoRoot: string, options: ts.CompilerOptions) {
  const paths = options.paths ?? {};
  const modules = Object.keys(paths).sort((a, b) => a.length - b.length || a.localeCompare(b));
  if (modules.length === 0) throw new Error('tsconfig.json has no `paths` for the package entries');
  return modules.map((module) => {
    const target = paths[module]?.[0];
    if (target === undefined) throw new Error(`tsconfig.json paths.${module} is empty`);
    const file = join(repoRoot, target);
    return { module, exports: readEntryExports(file, readFileSync(file, 'utf8')) };
  });
}

interface ExtraDiagnostic {
  readonly start: number;
  readonly message: string;
}

const PRIMITIVE =
  TypeFlags.StringLike |
  TypeFlags.NumberLike |
  TypeFlags.BigIntLike |
  TypeFlags.BooleanLike |
  TypeFlags.EnumLike |
  TypeFlags.ESSymbolLike |
  TypeFlags.Null |
  TypeFlags.Undefined |
  TypeFlags.Void |
  TypeFlags.Never;
const OPEN = TypeFlags.Any | TypeFlags.Unknown | TypeFlags.TypeParameter | TypeFlags.NonPrimitive;

/** Whether any property name is acceptable in a literal typed `type` (nothing to check). */
function acceptsAnyProperty(checker: Checker, type: Type): boolean {
  return (
    (type.flags & OPEN) !== 0 ||
    checker.getIndexInfosOfType(type).length > 0 ||
    checker.getPropertiesOfType(type).length === 0
  );
}

/**
 * Excess properties in the object literals of `source` from `from` on, by their contextual
 * type: a property named by none of its object types (Promise-likes and primitives aside).
 * Literals whose type takes any property (index signature, `any`, type parameter, `{}`) are
 * skipped, and so is a literal TypeScript already reported at the same place.
 */
function excessProperties(checker: Checker, source: SourceFile, from: number): ExtraDiagnostic[] {
  const found: ExtraDiagnostic[] = [];
  const visit = (node: Node): void => {
    if (node.kind === SyntaxKind.ObjectLiteralExpression && node.getStart(source) >= from) {
      const literal = node as ObjectLiteralExpression;
      const contextual = checker.getContextualType(literal);
      const candidates = (
        contextual?.isUnionType() ? contextual.getTypes() : contextual ? [contextual] : []
      ).filter((t) => (t.flags & PRIMITIVE) === 0 && checker.getPropertyOfType(t, 'then') === undefined);
      if (candidates.length > 0 && !candidates.some((t) => acceptsAnyProperty(checker, t))) {
        for (const property of literal.properties) {
          if (property.kind === SyntaxKind.SpreadAssignment || property.name === undefined) continue;
          const name = property.name;
          if (name.kind !== SyntaxKind.Identifier && name.kind !== SyntaxKind.StringLiteral) continue;
          const text = name.text;
          if (candidates.some((t) => checker.getPropertyOfType(t, text) !== undefined)) continue;
          const expected = candidates.map((t) => checker.typeToString(t)).join(' | ');
          found.push({
            start: name.getStart(source),
            message: `'${text}' is not a property of ${expected} (excess property in an object literal that TypeScript does not check, e.g. returned from a callback).`,
          });
        }
      }
    }
    node.forEachChild(visit);
  };
  visit(source);
  return found;
}

/** A diagnostic's message with its chain, indented as `tsc` prints it. */
function messageText(diagnostic: Diagnostic, indent = 0): string {
  const head = `${'  '.repeat(indent)}${diagnostic.text}`;
  const chain = diagnostic.messageChain ?? [];
  return [head, ...chain.map((next) => messageText(next, indent + 1))].join('\n');
}

function formatDiagnostic(diagnostic: Diagnostic, locate: (d: Diagnostic) => string): string {
  return `${locate(diagnostic)} TS${diagnostic.code}: ${messageText(diagnostic)}`;
}

const isError = (d: Diagnostic): boolean => d.category === DiagnosticCategory.Error;

/**
 * Builds one program for all inputs and returns each one's errors, located in the Markdown file.
 * `files` (paths relative to the repository) are real files checked in the same program: the
 * packages and the library are parsed once for both.
 *
 * The program is TypeScript's native compiler (`@typescript/native-preview`, through its
 * synchronous API in a child process), several times faster than the JavaScript one for the
 * same diagnostics. The virtual files reach it through its file-system callbacks, with a
 * virtual tsconfig.json that extends the repository's.
 */
export function checkSnippets(
  repoRoot: string,
  inputs: readonly CheckInput[],
  files: readonly string[] = [],
): CheckReport {
  const options = loadCompilerOptions(repoRoot);
  const importable: ReadonlyMap<string, ImportableName> = importableNames(libraryEntries(repoRoot, options));
  const virtualDir = join(repoRoot, 'test', '.readme-snippets');

  const virtual = new Map<string, string>();
  for (const [name, text] of Object.entries(VIRTUAL_MODULES)) virtual.set(join(virtualDir, name), text);
  for (const [name, text] of Object.entries(NEST_APP_FILES))
    virtual.set(join(virtualDir, NEST_APP_DIR, name), text);
  const prepared = inputs.map((input, index) => {
    const prelude = buildPrelude(input.snippet.code, importable);
    const appFile = snippetFile(input.snippet);
    if (
      appFile !== undefined &&
      (!appFile.endsWith('.ts') || appFile.startsWith('/') || appFile.includes('..'))
    ) {
      throw new Error(
        `${input.label}:${input.snippet.line}: file=${appFile} must be a relative .ts path inside the app`,
      );
    }
    const fileName =
      appFile === undefined
        ? join(virtualDir, `snippet-${index}-line-${input.snippet.line}.ts`)
        : join(virtualDir, NEST_APP_DIR, appFile);
    if (virtual.has(fileName))
      throw new Error(`${input.label}:${input.snippet.line}: ${fileName} is given twice`);
    const text = [...prelude.lines, input.snippet.code, 'export {};', ''].join('\n');
    virtual.set(fileName, text);
    return { input, fileName, text, preludeLines: prelude.lines };
  });

  const onDisk = files.map((file) => join(repoRoot, file));
  // The project: tsconfig.json's options, except two a fragment may break without saying
  // anything of the API (`const moduleRef = await ...` is normal in documentation).
  const configPath = join(virtualDir, 'tsconfig.json');
  virtual.set(
    configPath,
    JSON.stringify({
      extends: relative(virtualDir, join(repoRoot, 'tsconfig.json')),
      compilerOptions: { noEmit: true, noUnusedLocals: false, noUnusedParameters: false },
      files: [...prepared.map((p) => p.fileName), ...onDisk],
      include: [],
    }),
  );

  // Every directory that holds a virtual file, with its entries.
  const entries = new Map<string, { files: string[]; directories: string[] }>();
  for (const file of virtual.keys()) {
    let child = file;
    for (let dir = dirname(file); dir.startsWith(virtualDir); child = dir, dir = dirname(dir)) {
      const listing = entries.get(dir) ?? { files: [], directories: [] };
      entries.set(dir, listing);
      const name = child.slice(dir.length + 1);
      const list = child === file ? listing.files : listing.directories;
      if (!list.includes(name)) list.push(name);
    }
  }

  const api = new API({
    cwd: repoRoot,
    fs: {
      readFile: (f) => virtual.get(f),
      fileExists: (f) => (virtual.has(f) ? true : undefined),
      directoryExists: (d) => (entries.has(d) ? true : undefined),
      getAccessibleEntries: (d) => entries.get(d),
    },
  });
  try {
    const snapshot = api.updateSnapshot({ openProjects: [configPath] });
    const project = snapshot.getProject(configPath);
    if (project === undefined) throw new Error(`${configPath}: the native compiler opened no project`);
    const { program, checker } = project;
    const globalErrors = [
      ...program.getConfigFileParsingDiagnostics(),
      ...program.getProgramDiagnostics(),
      ...program.getGlobalDiagnostics(),
    ]
      .filter(isError)
      .map((d) => formatDiagnostic(d, (x) => (x.fileName ? `${x.fileName}:${x.pos + 1}` : 'tsconfig.json')));

    const lineOf = (fileName: string, pos: number): number =>
      (program.getSourceFile(fileName)?.getLineAndCharacterOfPosition(pos).line ?? -1) + 1;

    const results = prepared.map(({ input, fileName, text, preludeLines }): CheckResult => {
      const source = program.getSourceFile(fileName);
      if (source === undefined) throw new Error(`${fileName} is not in the program`);
      const { label, snippet } = input;
      const locateAt = (start: number): string => {
        const { line, character } = source.getLineAndCharacterOfPosition(start);
        if (line < preludeLines.length) {
          return `${label}:${snippet.line} (prelude: ${preludeLines[line]})`;
        }
        const snippetLine = line - preludeLines.length;
        return `${label}:${snippet.line + snippetLine}:${character + 1 + snippet.indent}`;
      };
      const locate = (d: Diagnostic): string => {
        if (d.fileName === fileName) return locateAt(d.pos);
        // An error the snippet causes in another file (rare): name that file.
        const where = d.fileName ? `${d.fileName}:${lineOf(d.fileName, d.pos)}` : '';
        return `${label}:${snippet.line} (reported in ${where || 'no file'})`;
      };
      const diagnostics = [
        ...program.getSyntacticDiagnostics(fileName),
        ...program.getSemanticDiagnostics(fileName),
      ].filter(isError);
      const reported = new Set(diagnostics.map((d) => d.pos));
      const snippetStart = preludeLines.length === 0 ? 0 : preludeLines.join('\n').length + 1;
      const extra = excessProperties(checker, source, snippetStart).filter((d) => !reported.has(d.start));
      return {
        input,
        text,
        errors: [
          ...diagnostics.map((d) => formatDiagnostic(d, locate)),
          ...extra.map((d) => `${locateAt(d.start)} excess-property: ${d.message}`),
        ],
      };
    });
    const fileErrors = onDisk.flatMap((fileName) => {
      const source = program.getSourceFile(fileName);
      if (source === undefined) return [`${relative(repoRoot, fileName)}: not in the program (missing?)`];
      return [...program.getSyntacticDiagnostics(fileName), ...program.getSemanticDiagnostics(fileName)]
        .filter(isError)
        .map((d) =>
          formatDiagnostic(d, (x) => {
            const { line, character } = source.getLineAndCharacterOfPosition(x.pos);
            return `${relative(repoRoot, fileName)}:${line + 1}:${character + 1}`;
          }),
        );
    });
    return { results, globalErrors, fileErrors };
  } finally {
    api.close();
  }
}
