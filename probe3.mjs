import 'reflect-metadata';
import { Type } from 'class-transformer';
import { IsInt, IsString, IsUrl, MinLength, Min } from 'class-validator';
import { createSecretsService } from 'nestjs-doppler/testing';
const N = Number(process.argv[2] ?? 10000);
const G = class {}; Object.defineProperty(G, 'name', { value: 'G' }); const proto = G.prototype; const values = {};
for (let i = 0; i < N; i++) { const key = `KEY_${i}`;
  switch (i % 10) { case 0: Type(() => Number)(proto, key); IsInt()(proto, key); Min(0)(proto, key); values[key] = String(1000 + i); break;
  case 1: IsUrl({ protocols: ['https'], require_tld: false })(proto, key); values[key] = `https://svc-${i}.internal/v1`; break;
  default: IsString()(proto, key); MinLength(8)(proto, key); values[key] = `value-${i}-xxxxxxxxxxxxxxxxxxxxxxxx`; } }
for (let r = 0; r < 12; r++) { const c0 = process.cpuUsage(); const t = performance.now(); const s = createSecretsService({ schema: G, values }); const c = process.cpuUsage(c0); console.log(N, 'wall', (performance.now() - t).toFixed(1), 'cpu', ((c.user+c.system)/1000).toFixed(1), s.keys().length); }
