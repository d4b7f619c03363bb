import 'reflect-metadata';
import { IsString } from 'class-validator';
import { createRequire } from 'node:module';
const req = createRequire(import.meta.url);
const { TransformOperationExecutor } = req('class-transformer/cjs/TransformOperationExecutor.js');
const orig = TransformOperationExecutor.prototype.getKeys; const lens = [];
TransformOperationExecutor.prototype.getKeys = function (...a) { const t = performance.now(); const k = orig.apply(this, a); lens.push([k.length, +(performance.now()-t).toFixed(2)]); return k; };
const { transformInParts } = req('./dist/cjs/validation/transform-in-parts.js');
const G = class {}; const values = {};
for (let i = 0; i < 10000; i++) { IsString()(G.prototype, `KEY_${i}`); values[`KEY_${i}`] = `v${i}`; }
transformInParts(G, values); console.log(lens.slice(0, 5), lens.length);
const p = new Proxy(values, { ownKeys: () => ['KEY_1', 'KEY_2'] });
let t = performance.now(); for (let i = 0; i < 40; i++) Object.keys(p); console.log('40 Object.keys(proxy)', (performance.now() - t).toFixed(1));
