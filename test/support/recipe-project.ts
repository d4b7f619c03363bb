import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { libGraph, linkPackages } from './lib-graph.js';
import { transpileFiles } from './transpile-files.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The module system of a user's project: `"type": "module"` or CommonJS. */
export type ModuleSystem = 'esm' | 'cjs';

const TS_MODULE: Record<ModuleSystem, string> = { esm: 'ESNext', cjs: 'CommonJS' };

/** Compiler options as a Nest app's tsconfig has them (decorators and their metadata). */
function compilerOptions(system: ModuleSystem): ts.CompilerOptions {
  return ts.convertCompilerOptionsFromJson(
    {
      target: 'ES2022',
      module: TS_MODULE[system],
      experimentalDecorators: true,
      emitDecoratorMetadata: true,
      esModuleInterop: true,
      isolatedModules: true,
      useDefineForClassFields: true,
    },
    ROOT,
  ).options;
}

/** Transpiles one TypeScript text as tsc would for `system` (no type check). */
export function transpile(text: string, system: ModuleSystem, fileName = 'module.ts'): string {
  return ts.transpileModule(text, { compilerOptions: compilerOptions(system), fileName }).outputText;
}

/** The lib files reachable from the main entry (what `import 'nestjs-doppler'` loads). */
function mainEntryGraph(): string[] {
  return [...libGraph(['lib/index.ts']).files];
}

export interface ProcessResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** stdout and stderr, interleaved as they arrived. */
  readonly output: string;
}

export interface RunningProcess {
  /** Everything written so far, stdout and stderr interleaved. */
  readonly output: () => string;
  readonly exited: Promise<ProcessResult>;
  kill(signal?: NodeJS.Signals): void;
}

/**
 * A throw-away project of a user's: its own directory and package.json, the repository's
 * installed packages linked into its node_modules, and `nestjs-doppler` there as the main
 * entry's sources compiled for the project's module system (what its `import` or `require`
 * condition gives). Commands run as plain `node` child processes: no loader, no mock, the
 * output captured whole so a test can look for canaries in it.
 */
export class RecipeProject {
  private constructor(
    readonly dir: string,
    readonly system: ModuleSystem,
  ) {}

  /** Creates the project; `remove()` deletes it. */
  static async create(system: ModuleSystem, name: string): Promise<RecipeProject> {
    const dir = await mkdtemp(join(tmpdir(), `nestjs-doppler-recipe-${name}-`));
    const project = new RecipeProject(dir, system);
    const type = system === 'esm' ? 'module' : 'commonjs';
    await project.write('package.json', JSON.stringify({ name, private: true, type }, null, 2));
    await linkPackages(project.dir);
    await project.installLibrary();
    return project;
  }

  /** Writes `text` at `path` inside the project. */
  async write(path: string, text: string): Promise<void> {
    const target = join(this.dir, path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, text);
  }

  /** Transpiles TypeScript `text` for the project's module system and writes it at `path` (.js). */
  async writeCompiled(path: string, text: string): Promise<void> {
    await this.write(path, transpile(text, this.system, path.replace(/\.js$/, '.ts')));
  }

  /** Starts `node args...` in the project with exactly `env` (plus PATH), capturing its output. */
  start(args: readonly string[], env: Readonly<Record<string, string>>): RunningProcess {
    const child = spawn(process.execPath, args, {
      cwd: this.dir,
      // NO_COLOR: Nest's logger colours even a pipe, and escape codes would split the text searched.
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: this.dir, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const exited = new Promise<ProcessResult>((resolveExit, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => resolveExit({ code, signal, output }));
    });
    return { output: () => output, exited, kill: (signal) => child.kill(signal) };
  }

  /** Runs `node args...` to its end; kills it after `timeoutMs` (the result then has a signal). */
  async run(
    args: readonly string[],
    env: Readonly<Record<string, string>>,
    timeoutMs = 60_000,
  ): Promise<ProcessResult> {
    const running = this.start(args, env);
    const timer = setTimeout(() => running.kill('SIGKILL'), timeoutMs);
    try {
      return await running.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }

  /** node_modules/nestjs-doppler: the main entry compiled for this module system. */
  private async installLibrary(): Promise<void> {
    const pkg = join('node_modules', 'nestjs-doppler');
    const type = this.system === 'esm' ? 'module' : 'commonjs';
    await this.write(
      join(pkg, 'package.json'),
      JSON.stringify({ name: 'nestjs-doppler', type, exports: { '.': './lib/index.js' } }),
    );
    for (const [file, text] of transpileFiles(mainEntryGraph(), compilerOptions(this.system))) {
      await this.write(join(pkg, relative(ROOT, file)).replace(/\.ts$/, '.js'), text);
    }
  }
}
