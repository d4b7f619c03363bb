/**
 * Type-checks the README's TypeScript snippets against the library sources, in one program.
 *
 * Each ```ts block becomes a virtual module (in memory, never written to disk) under
 * `test/.readme-snippets/`, so the package's `"type": "module"` applies and top-level `await`
 * compiles. It is the prelude (see readme-prelude.ts), then the snippet (unindented), then
 * `export {}`. The compiler options are tsconfig.json's, read with the TypeScript API, so
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
  return { ...parsed.options, noEmit: true, noUnusedLocals: false, noUnusedParameters: false };
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
  ts.TypeFlags.StringLike |
  ts.TypeFlags.NumberLike |
  ts.TypeFlags.BigIntLike |
  ts.TypeFlags.BooleanLike |
  ts.TypeFlags.EnumLike |
  ts.TypeFlags.ESSymbolLike |
  ts.TypeFlags.Null |
  ts.TypeFlags.Undefined |
  ts.TypeFlags.Void |
  ts.TypeFlags.Never;

/** Whether any property name is acceptable in a literal typed `type` (nothing to check). */
function acceptsAnyProperty(checker: ts.TypeChecker, type: ts.Type): boolean {
  const open =
    ts.TypeFlags.Any | ts.TypeFlags.Unknown | ts.TypeFlags.TypeParameter | ts.TypeFlags.NonPrimitive;
  return (
    (type.flags & open) !== 0 ||
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
function excessProperties(checker: ts.TypeChecker, source: ts.SourceFile, from: number): ExtraDiagnostic[] {
  const found: ExtraDiagnostic[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isObjectLiteralExpression(node) && node.getStart(source) >= from) {
      const contextual = checker.getContextualType(node);
      const candidates = (contextual?.isUnion() ? contextual.types : contextual ? [contextual] : []).filter(
        (t) => (t.flags & PRIMITIVE) === 0 && t.getProperty('then') === undefined,
      );
      if (candidates.length > 0 && !candidates.some((t) => acceptsAnyProperty(checker, t))) {
        for (const property of node.properties) {
          if (ts.isSpreadAssignment(property) || property.name === undefined) continue;
          const name = property.name;
          if (!ts.isIdentifier(name) && !ts.isStringLiteral(name)) continue;
          if (candidates.some((t) => checker.getPropertyOfType(t, name.text) !== undefined)) continue;
          const expected = candidates.map((t) => checker.typeToString(t)).join(' | ');
          found.push({
            start: name.getStart(source),
            message: `'${name.text}' is not a property of ${expected} (excess property in an object literal that TypeScript does not check, e.g. returned from a callback).`,
          });
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function formatDiagnostic(diagnostic: ts.Diagnostic, locate: (d: ts.Diagnostic) => string): string {
  return `${locate(diagnostic)} TS${diagnostic.code}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`;
}

/**
 * Builds one program for all inputs and returns each one's errors, located in the Markdown file.
 * `files` (paths relative to the repository) are real files checked in the same program: the
 * packages and the library are parsed once for both.
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

  // Every directory that holds a virtual file (TypeScript looks for package.json scopes there).
  const virtualDirs = new Set<string>();
  for (const file of virtual.keys()) {
    for (let dir = dirname(file); dir.startsWith(virtualDir); dir = dirname(dir)) virtualDirs.add(dir);
  }
  const host = ts.createCompilerHost(options, true);
  const { fileExists, readFile, getSourceFile, directoryExists } = host;
  host.fileExists = (f) => virtual.has(f) || fileExists.call(host, f);
  host.readFile = (f) => virtual.get(f) ?? readFile.call(host, f);
  host.directoryExists = (d) => virtualDirs.has(d) || (directoryExists?.call(host, d) ?? true);
  host.getSourceFile = (f, languageVersion, onError, shouldCreate) => {
    const text = f.endsWith('.ts') ? virtual.get(f) : undefined;
    return text === undefined
      ? getSourceFile.call(host, f, languageVersion, onError, shouldCreate)
      : ts.createSourceFile(f, text, languageVersion, true, ts.ScriptKind.TS);
  };

  const onDisk = files.map((file) => join(repoRoot, file));
  const program = ts.createProgram({
    rootNames: [...prepared.map((p) => p.fileName), ...onDisk],
    options,
    host,
  });
  const globalErrors = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()]
    .filter((d) => d.category === ts.DiagnosticCategory.Error)
    .map((d) =>
      formatDiagnostic(d, (x) => (x.file ? `${x.file.fileName}:${(x.start ?? 0) + 1}` : 'tsconfig.json')),
    );

  const checker = program.getTypeChecker();
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
    const locate = (d: ts.Diagnostic): string => {
      if (d.file === source && d.start !== undefined) return locateAt(d.start);
      // An error the snippet causes in another file (rare): name that file.
      const where = d.file
        ? `${d.file.fileName}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}`
        : '';
      return `${label}:${snippet.line} (reported in ${where || 'no file'})`;
    };
    const diagnostics = [
      ...program.getSyntacticDiagnostics(source),
      ...program.getSemanticDiagnostics(source),
    ].filter((d) => d.category === ts.DiagnosticCategory.Error);
    const reported = new Set(diagnostics.map((d) => d.start));
    const snippetStart = source.getPositionOfLineAndCharacter(preludeLines.length, 0);
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
    return [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)]
      .filter((d) => d.category === ts.DiagnosticCategory.Error)
      .map((d) =>
        formatDiagnostic(d, (x) => {
          const { line, character } = source.getLineAndCharacterOfPosition(x.start ?? 0);
          return `${relative(repoRoot, fileName)}:${line + 1}:${character + 1}`;
        }),
      );
  });
  return { results, globalErrors, fileErrors };
}
