import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { extractFencedBlocks, type Snippet } from './readme-snippets.js';

const README = join(fileURLToPath(new URL('../..', import.meta.url)), 'README.md');

/** A README block marked ```` ```ts recipe=<group>:<path> ````: a file of a project a test runs. */
export interface Recipe {
  /** The project it belongs to, e.g. `typeorm-esm`. */
  readonly group: string;
  /** Its path in that project, e.g. `src/data-source.ts`. */
  readonly path: string;
  /** The fence's language, e.g. `ts` or `prisma`. */
  readonly language: string;
  readonly code: string;
  /** Its first line of code in README.md, for messages. */
  readonly line: number;
}

function recipeOf(block: Snippet): Recipe | undefined {
  const words = block.info.split(/\s+/);
  const tag = words.find((word) => word.startsWith('recipe='))?.slice('recipe='.length);
  if (tag === undefined) return undefined;
  const [group = '', path = ''] = tag.split(':');
  return { group, path, language: words[0] ?? '', code: block.code, line: block.line };
}

/**
 * The README's recipe blocks of `group`, keyed by path. Fails unless there is at least one, so a
 * test never runs on nothing because a tag was renamed.
 */
export function readmeRecipes(group: string): Map<string, Recipe> {
  const recipes = extractFencedBlocks(readFileSync(README, 'utf8'))
    .map(recipeOf)
    .filter((recipe): recipe is Recipe => recipe?.group === group);
  if (recipes.length === 0) throw new Error(`README.md has no recipe=${group}:... block`);
  return new Map(recipes.map((recipe) => [recipe.path, recipe]));
}

/** The one README recipe of `group` at `path`. */
export function readmeRecipe(group: string, path = ''): Recipe {
  const recipes = readmeRecipes(group);
  const recipe = recipes.get(path);
  if (recipe === undefined) {
    throw new Error(`README.md has no recipe=${group}:${path} block (has ${[...recipes.keys()].join(', ')})`);
  }
  return recipe;
}
