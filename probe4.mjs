import 'reflect-metadata';
import { Type, plainToInstance } from 'class-transformer';
import { IsInt, IsString, MinLength, Min } from 'class-validator';
import { createRequire } from 'node:module';
const { transformInParts } = createRequire(import.meta.url)('./dist/cjs/validation/transform-in-parts.js');
const N = 10000;
const G = class {}; const proto = G.prototype; const values = {};
for (let i = 0; i < N; i++) { const key = `KEY_${i}`; IsString()(proto, key); values[key] = `value-${i}`; }
for (let r = 0; r < 3; r++) {
 let t = performance.now(); const a = transformInParts(G, values); const t1 = performance.now() - t;
 t = performance.now(); const b = plainToInstance(G, values, { exposeDefaultValues: true }); const t2 = performance.now() - t;
 console.log('parts', t1.toFixed(1), 'whole', t2.toFixed(1), Object.keys(a).length, Object.keys(b).length, JSON.stringify(a) === JSON.stringify(b));
}
