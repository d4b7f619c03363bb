/** Renders the Markdown report (docs/bench/README.md) and the console summary from the results. */
import type { BenchResults, BootRow, RedactionResult, RefreshSimRow, ScaleRow, Spread } from './results.js';
import { watchSection } from './watch-report.js';

const f = (value: number, digits = 2): string =>
  Number.isFinite(value)
    ? value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
    : 'n/a';
const int = (value: number): string =>
  Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a';
const sec = (ms: number, digits = 1): string => `${f(ms / 1000, digits)} s`;
const pct = (share: number): string => `${f(share * 100, 0)} %`;

export interface Verdicts {
  readonly startup?: { readonly met: boolean; readonly text: string };
  readonly get?: { readonly met: boolean; readonly text: string };
}

export function verdicts(r: BenchResults): Verdicts {
  const out: { startup?: Verdicts['startup']; get?: Verdicts['get'] } = {};
  if (r.startup) {
    const { value, ci95 } = r.startup.ratios.addedBoverC;
    const total = r.startup.ratios.totalBoverC.value;
    const met = value <= 1.1;
    const sure =
      ci95[1] <= 1.1
        ? 'and the upper end of its 95 % interval is too'
        : `but the 95 % interval reaches ${f(ci95[1])}`;
    out.startup = {
      met,
      text:
        `(b - a) / (c - a) = ${f(value)} [95 % CI ${f(ci95[0])}-${f(ci95[1])}]: ` +
        `${met ? `met (<= 1.10), ${sure}` : 'NOT met (> 1.10)'}. ` +
        `Total (b) / (c) = ${f(total)} (${total <= 1.1 ? 'within' : 'outside'} 10 %).`,
    };
  }
  if (r.get) {
    const row = r.get.time.rows.find((x) => x.name === 'service.get(key)');
    const alloc = r.get.alloc.rows.find((x) => x.name === 'service.get(key)');
    if (row && alloc) {
      const fast = row.readsPerSecondWall >= 20e6;
      const fastCpu = row.readsPerSecondCpu >= 20e6;
      const free = alloc.bytesPerCall < 0.1 && alloc.gcs === 0;
      out.get = {
        met: fast && free,
        text:
          `${f(row.readsPerSecondWall / 1e6, 1)} M reads/s wall-clock (${f(row.readsPerSecondCpu / 1e6, 1)} M per CPU-second): ` +
          `${fast ? 'met' : fastCpu ? 'NOT met on wall-clock (met per CPU-second: the loop lost time slices to other processes)' : 'NOT met'}; ` +
          `${f(alloc.bytesPerCall, 4)} bytes per call over ${int(r.get.alloc.allocCalls)} calls with ${alloc.gcs} GCs: ` +
          `${free ? 'no allocation per read (the residue is the measurement itself)' : 'allocates'}.`,
      };
    }
  }
  return out;
}

/** A boot policy as the table names it; an option left unset is the library's default. */
export function policyLabel(policy: BootRow['policy']): string {
  if (policy.retries === undefined && policy.deadline === undefined) {
    return 'current defaults (no option set: retries 6, deadline 15 s as documented)';
  }
  return `retries ${policy.retries ?? 'default'}, deadline ${policy.deadline === undefined ? 'default' : sec(policy.deadline, 0)}`;
}

function bootTable(rows: readonly BootRow[]): string[] {
  const lines = [
    '| policy | booted without fallback | booted with fallback (from the copy) | time in the fetch loop p50 / p95 / max, without fallback (s, simulated) | ready p50 / p95 with fallback (s) | requests per replica | requests Doppler saw (200 / 429 / 503) | requests in the busiest 60 s | last request at |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    const s = r.requestsByStatus;
    lines.push(
      `| ${policyLabel(r.policy)} | ${int(r.bootedWithoutFallback)} / ${int(r.replicas)} | ${int(r.bootedWithFallback)} (${int(r.servedByFallback)}) | ` +
        `${f(r.readyMsWithout.p50 / 1000, 1)} / ${f(r.readyMsWithout.p95 / 1000, 1)} / ${f(r.readyMsWithout.max / 1000, 1)} | ${f(r.readyMsWith.p50 / 1000, 2)} / ${f(r.readyMsWith.p95 / 1000, 2)} | ` +
        `${f(r.requestsPerReplica, 2)} | ${int(r.requests)} (${int(s['200'] ?? 0)} / ${int(s['429'] ?? 0)} / ${int(s['503'] ?? 0)}) | ${int(r.peakRequestsPerMinute)} | ${sec(r.lastRequestAtMs)} |`,
    );
  }
  return lines;
}

function refreshLabel(r: RefreshSimRow): string {
  return `${sec(r.intervalMs, 0)}, jitter ${r.jitter}${r.randomPhase ? ', extra random start delay' : ''}`;
}

function refreshTable(rows: readonly RefreshSimRow[]): string[] {
  const lines = [
    '| interval, jitter | simulated | requests / min (steady) | 429 share (steady) | 429 share (first 10 min) | peak per 60 s | age of set p50 / p99 / max | change applied p50 / p99 / max | not applied by the end |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    lines.push(
      `| ${refreshLabel(r)} | ${f(r.durationMs / 60_000, 0)} min | ${int(r.requestsPerMinuteSteady)} | ${pct(r.share429Steady)} | ${pct(r.share429First10Min)} | ${int(r.peakRequestsPerMinute)} | ` +
        `${sec(r.ageMs.p50, 0)} / ${sec(r.ageMs.p99, 0)} / ${sec(r.ageMs.max, 0)} | ` +
        `${sec(r.propagation.p50Ms, 0)} / ${sec(r.propagation.p99Ms, 0)} / ${sec(r.propagation.maxMs, 0)} | ${int(r.propagation.notAppliedByEnd)} of ${int(r.replicas)} |`,
    );
  }
  return lines;
}

/** Sentences about defaults, computed from the fleet rows so they match the tables. */
function defaultsDiscussion(r: BenchResults): string[] {
  const fleet = r.fleet;
  if (!fleet) return [];
  const boot = (name: string): BootRow | undefined => fleet.boot.find((b) => b.policy.name === name);
  const outage = (name: string): BootRow | undefined => fleet.outage.rows.find((b) => b.policy.name === name);
  const refresh = (interval: number, jitter: number, phase = false): RefreshSimRow | undefined =>
    fleet.refresh.find((x) => x.intervalMs === interval && x.jitter === jitter && x.randomPhase === phase);
  const lines: string[] = ['### What the simulation says about the defaults', ''];
  const d = boot('current defaults');
  const d30 = boot('retries 5, deadline 30 s');
  const d75 = boot('retries 5, deadline 75 s');
  const d300 = boot('retries 10, deadline 300 s');
  if (d && d30 && d75 && d300) {
    lines.push(
      `- **Rate limit at boot.** One token allows ${fleet.rpm} requests per 60 s window, so of ${int(fleet.replicas)} replicas started within ${sec(fleet.spreadMs, 0)} ` +
        `only ${int(d.bootedWithoutFallback)} boot from Doppler with the current defaults, and no deadline under 60 s changes that ` +
        `(deadline 30 s: ${int(d30.bootedWithoutFallback)}): the 429's retry-after (up to 60 s) exceeds what is left of the deadline, and the loop ` +
        `rightly gives up at once instead of waiting for nothing, so the rest fail fast (p95 ${sec(d.readyMsWith.p95, 2)} to ready with the fallback, ` +
        'the key derivation: every boot with the fallback on waits for it, also one Doppler answered, since the copy is then written back with that key). ' +
        `A deadline past the window lets a second wave in (75 s: ${int(d75.bootedWithoutFallback)}; 300 s: ${int(d300.bootedWithoutFallback)}, ` +
        `with p95 ${sec(d300.readyMsWithout.p95, 0)} to ready and ${int(d300.requests)} requests). With the fallback, all ${int(d.bootedWithFallback)} boot ` +
        `within the 15 s deadline (${int(d.servedByFallback)} from the copy) and Doppler sees ${int(d.requestsWithFallback)} requests, one per replica.`,
    );
  }
  const o2 = outage('retries 2 (the first default)');
  const o5 = outage('retries 5');
  const o6 = outage('retries 6');
  if (o2 && o5 && o6) {
    lines.push(
      `- **Retries against an outage.** Doppler answering 503 for the first ${sec(fleet.outage.outageMs, 0)} while ${int(fleet.outage.replicas)} replicas start: ` +
        `with retries 2 only ${int(o2.bootedWithoutFallback)} boot, because three attempts with backoff ceilings of 0.5 s and 1 s span at most 1.5 s of the 15 s deadline; ` +
        `retries 5 (ceilings 0.5+1+2+4+8 s, about the deadline) boot ${int(o5.bootedWithoutFallback)}, retries 6 ${int(o6.bootedWithoutFallback)}, ` +
        `for ${int(o5.requests)} / ${int(o6.requests)} requests instead of ${int(o2.requests)}. Retries are cheap against 429 (the retry-after check ends the loop) ` +
        `and they are what lets the deadline be used against 5xx and resets.`,
    );
  }
  const r60 = refresh(60_000, 0.1);
  const r300 = refresh(300_000, 0.1);
  const r300j0 = refresh(300_000, 0);
  const r300j5 = refresh(300_000, 0.5);
  const r300p = refresh(300_000, 0.1, true);
  const r600j5 = refresh(600_000, 0.5);
  if (r60 && r300 && r300j0 && r300j5) {
    const budget = (fleet.replicas * 60) / fleet.rpm;
    lines.push(
      `- **Refresh interval.** ${int(fleet.replicas)} replicas sharing a token need an interval of at least ${int(budget)} s just to stay under ${fleet.rpm}/min on average. ` +
        `At 60 s ${pct(r60.share429Steady)} of requests are answered 429 in steady state; the median replica's set is ` +
        `${sec(r60.ageMs.p50, 0)} old (p99 ${sec(r60.ageMs.p99, 0)}) and ${int(r60.propagation.notAppliedByEnd)} replicas missed the change by the end: ` +
        `polling faster than the budget allows makes secrets staler, not fresher (300 s with jitter 0.5: median age ${sec(r300j5.ageMs.p50, 0)}). ` +
        `Even at 300 s, under the budget on average, jitter 0.1 leaves ${pct(r300.share429Steady)} of requests answered 429 and ${int(r300.propagation.notAppliedByEnd)} replicas without the change.`,
    );
    lines.push(
      `- **Refresh jitter.** The refresher makes its first check at a random point of the first interval, so a fleet started ` +
        `together is spread from the start. At 300 s: jitter 0 leaves ${int(r300j0.propagation.notAppliedByEnd)} of ${int(r300j0.replicas)} ` +
        `replicas without the change and ${pct(r300j0.share429Steady)} 429 (p99 age ${sec(r300j0.ageMs.p99, 0)}); jitter 0.5 gives ` +
        `${pct(r300j5.share429Steady)} 429, p99 age ${sec(r300j5.ageMs.p99, 0)}, change applied everywhere within ${sec(r300j5.propagation.maxMs, 0)}.` +
        (r300p
          ? ` An extra random start delay on top changes little: ${pct(r300p.share429Steady)} 429, p99 age ${sec(r300p.ageMs.p99, 0)} with jitter 0.1.`
          : '') +
        (r600j5
          ? ` 600 s with jitter 0.5: ${pct(r600j5.share429Steady)} 429, p99 age ${sec(r600j5.ageMs.p99, 0)}.`
          : ''),
    );
  }
  lines.push('');
  return lines;
}

/** How the simulation changed when the benchmarks moved to the public API (issue 11). */
function modelChanges(): string[] {
  return [
    '**How this model differs from the one before it** (benchmarks on the public entry points only): the previous simulation drove the ' +
      "library's internals (its HTTP client and retry loop, its refresher and state) and modelled the fallback. Now:",
    '',
    '- a replica is `loadDopplerSecrets()`; where the internals were handed a clock, a random source and a long real request timeout, the clock now ' +
      'patches the globals the library reads (Date, setTimeout, `AbortSignal.timeout`, a seeded `Math.random`);',
    "- the clock waits for every socket and file request (`process.getActiveResourcesInfo()`) instead of for the client's download to resolve;",
    "- the fallback runs for real (the library reads and writes each replica's copy). A boot with the fallback on is ready only once the copy's key is " +
      'derived, also when Doppler answered (the copy is written back with that key): the old model counted those boots ready at once, so ' +
      '"ready with fallback" now starts at the derivation time;',
    '- refresh replicas boot for real (one request each, with a token of their own, left out of the counts) instead of being built holding the set;',
    '- attempts per replica are not visible from outside: "requests per replica" (the mean number of attempts) replaces "attempts mean / max";',
    "- every request is kept in the emulator's log (`requestLogLimit`): its default of 10,000 would cut the busiest refresh rows short.",
    '',
  ];
}

const change = (
  before: number | undefined,
  after: number | undefined,
  show: (x: number) => string,
): string =>
  before === undefined || after === undefined
    ? 'n/a'
    : before === after
      ? `${show(after)} (same)`
      : `${show(before)} -> ${show(after)}`;

/** The previous recorded run against this one, on the numbers both have: did they move? */
function comparison(previous: BenchResults, r: BenchResults): string[] {
  const rows: string[] = [];
  const add = (what: string, value: string): void => void rows.push(`| ${what} | ${value} |`);
  const pf = previous.fleet;
  const cf = r.fleet;
  if (pf && cf) {
    for (const row of cf.boot) {
      const old = pf.boot.find((x) => x.policy.name === row.policy.name);
      add(
        `boot, ${policyLabel(row.policy)}: booted without fallback; requests`,
        `${change(old?.bootedWithoutFallback, row.bootedWithoutFallback, int)}; ${change(old?.requests, row.requests, int)}`,
      );
    }
    for (const row of cf.outage.rows) {
      const old = pf.outage.rows.find((x) => x.policy.name === row.policy.name);
      add(
        `outage, ${policyLabel(row.policy)}: booted without fallback; requests`,
        `${change(old?.bootedWithoutFallback, row.bootedWithoutFallback, int)}; ${change(old?.requests, row.requests, int)}`,
      );
    }
    for (const row of cf.refresh) {
      const old = pf.refresh.find(
        (x) =>
          x.intervalMs === row.intervalMs && x.jitter === row.jitter && x.randomPhase === row.randomPhase,
      );
      add(
        `refresh ${refreshLabel(row)}: 429 share (steady); age p99; not applied by the end`,
        `${change(old?.share429Steady, row.share429Steady, pct)}; ${change(old?.ageMs.p99, row.ageMs.p99, (x) => sec(x, 0))}; ` +
          change(old?.propagation.notAppliedByEnd, row.propagation.notAppliedByEnd, int),
      );
    }
    add(
      'fallback: ready p95 with fallback, current defaults',
      change(pf.boot[0]?.readyMsWith.p95, cf.boot[0]?.readyMsWith.p95, (x) => sec(x, 2)),
    );
  }
  if (rows.length === 0) return [];
  return [
    `### Compared with the run this one replaced (\`${previous.command}\`, ${previous.startedAt})`,
    '',
    'Counts from the same seeds, before and after the move to the public API; `same` where they did not move.',
    '',
    '| row | previous -> now |',
    '| --- | --- |',
    ...rows,
    '',
  ];
}

/** What a fleet-at-scale run was, in a table's first column. */
export function scaleLabel(row: ScaleRow): string {
  const every = row.refresh ? `, refresh every ${sec(row.refresh.intervalMs, 0)}` : ', no refresh';
  switch (row.mode) {
    case 'api':
      return `(a) API, one token, no fallback${every}`;
    case 'fallback':
      return `(b) API, one token, fallback copy on every replica${every}`;
    case 'mounted':
      return `(c) operator (resync ${sec(row.operator?.resyncMs ?? 60_000, 0)}) and mounted volumes`;
  }
}

const spreadText = (x: Spread, digits = 1): string =>
  x.count === 0
    ? 'n/a'
    : `${sec(x.p50, digits)} / ${sec(x.p90, digits)} / ${sec(x.p99, digits)} / ${sec(x.max, digits)}`;

/** How many times the simulated fleet the run stands for (1 when it simulated the whole fleet). */
const factorOf = (r: ScaleRow): number => r.represents?.factor ?? 1;
/** A count of the whole fleet: the sample's times the factor. */
const fleetCount = (r: ScaleRow, n: number): number => n * factorOf(r);
/** Requests to Doppler at the represented scale: the fleet's grow with it, the operator's do not. */
const requestCount = (r: ScaleRow, n: number): number => (r.mode === 'mounted' ? n : fleetCount(r, n));
const fleetSize = (r: ScaleRow): number => r.represents?.replicas ?? r.replicas;
const fleetRpm = (r: ScaleRow): number => r.represents?.rpm ?? r.rpm;

function scaleTable(rows: readonly ScaleRow[]): string[] {
  const lines = [
    '| run | requests to Doppler: all (200 / 304 / 429) | busiest 60 s | boot: first start to serving, p50 / p90 / p99 / max | all serving at | crash restarts | edit at | edit to serving it, p50 / p90 / p99 / max | not serving it by the end | simulated: replicas, rate, time; real time |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    const s = r.requests.byStatus;
    const q = (n: number | undefined): string => int(requestCount(r, n ?? 0));
    lines.push(
      `| ${scaleLabel(r)} | ${q(r.requests.total)} (${q(s['200'])} / ${q(s['304'])} / ${q(s['429'])}) | ${q(r.requests.peakPerMinute)} | ` +
        `${spreadText(r.boot, r.boot.max < 10_000 ? 2 : 0)} | ${Number.isFinite(r.boot.allServingAtS) ? sec(r.boot.allServingAtS * 1000, 0) : `never (${int(fleetCount(r, r.boot.notServingByEnd))} not)`} | ` +
        `${int(fleetCount(r, r.boot.restarts))} | ${sec(r.edit.atS * 1000, 0)} | ${spreadText(r.edit, 0)} | ${int(fleetCount(r, r.edit.notAppliedByEnd))} of ${int(fleetSize(r))} (at ${sec(r.edit.endS * 1000, 0)}) | ` +
        `${int(r.replicas)} at ${int(r.rpm)}/min, ${f(r.edit.endS / 60, 0)} min; ${f(r.realSeconds, 0)} s |`,
    );
  }
  return lines;
}

/** The fleet at scale: the table, what each run assumes, and what the numbers say. */
function scaleSection(rows: readonly ScaleRow[], command: string): string[] {
  const first = rows[0];
  if (first === undefined) return [];
  const by = (mode: ScaleRow['mode'], interval?: number): ScaleRow | undefined =>
    rows.find((x) => x.mode === mode && (interval === undefined || x.refresh?.intervalMs === interval));
  // The (a) run from the largest sample; another (a) run from a smaller one checks the scaling.
  const apis = rows.filter((x) => x.mode === 'api').sort((x, y) => y.replicas - x.replicas);
  const api = apis[0];
  const apiCheck = apis[1];
  const mounted = by('mounted');
  const fallbacks = rows.filter((x) => x.mode === 'fallback');
  const fallback = fallbacks.find((x) => x.refresh?.intervalMs === api?.refresh?.intervalMs) ?? fallbacks[0];
  const fast = fallbacks.find((x) => x !== fallback);
  const factor = factorOf(first);
  const out = [
    `## 6. The fleet at scale: ${int(fleetSize(first))} replicas restarting within ${sec(first.spreadMs, 0)}`,
    '',
    `Produced by \`${command}\` (each run in its own process: \`node dist/bench/bench/fleet-scale.js --mode api|fallback|mounted\`). ` +
      `${int(fleetSize(first))} replicas of one service restart at uniformly random times within ${sec(first.spreadMs, 0)}, ` +
      `sharing one service token that Doppler limits to ${int(fleetRpm(first))} requests a minute. ` +
      (factor > 1
        ? `Simulated as a sample of ${int(first.replicas)} replicas against a limit of ${int(first.rpm)} a minute (the same replicas per request a minute, so the sample ` +
          `drains at the fleet's pace); per-replica figures (boot time, restarts per replica, staleness) are the sample's, and the fleet's counts ` +
          `(requests, crash restarts, key derivations) are the sample's times ${factor}, except the operator's requests, which do not grow with the fleet. `
        : '') +
      'A replica is `loadDopplerSecrets()` from the built package, as in section 5, against the emulator (sliding window per token, 429 with retry-after). ' +
      'Once every replica serves, a minute later, a secret is edited in Doppler; the run goes on until every replica serves the new value, or for 10 minutes plus 1.2 refresh intervals. ' +
      'Boot time counts waiting only (for Doppler, back-off, restarts, the key derivation): requests and file reads take no simulated time, ' +
      "and the library's own CPU per boot (a few milliseconds, section 1) is the same in every run and not charged. " +
      "The refresh interval of the API runs is the README's rule for this many replicas, `N x 60 s / 120` (half the budget); " +
      "`refresh every 300 s` is the README's example for a small fleet, kept by a large one.",
    '',
    'What is real and what is modelled:',
    '',
    '- **Real**: the library (options, retries within the deadline, retry-after, the fallback copy read and decrypted, validation, the mounted source ' +
      "reading a kubelet-layout volume and noticing its swap by fs.watch or its poll, the refresh timer, jitter and backoff), the emulator's HTTP, " +
      'ETags and rate limiter over loopback, and the files: every replica has its own copy or volume on disk, swapped with real renames.',
    '- **Modelled**: time (a virtual clock: requests and file reads take none, the network has no latency); the PBKDF2 derivation ' +
      '(computed once, charged to each replica as the measured time of one); the kubelet (CrashLoopBackOff and pod sync timings from its constants, ' +
      "volume updates written by the bench); the operator (a `loadDopplerSecrets` client polling with the ETag at resyncSeconds, not the operator's Go code); " +
      "Doppler's rate limiter (the emulator's sliding window, from Doppler's 429 message; Doppler's own algorithm is not published)" +
      (factor > 1
        ? `; and the step from ${int(first.replicas)} simulated replicas to ${int(fleetSize(first))} (counts times ${factor}). That step is exact where replicas meet only ` +
          'through the shared budget, in the average; it is not in the grain: a saturated window frees a slot every 60 s / rate on average ' +
          `(${f(60 / first.rpm, 1)} s in this sample, ${f(60 / fleetRpm(first), 2)} s for the fleet), so a rate-limited boot's retry-after (the wait for the next free slot) ` +
          'fits its 15 s deadline less often in the sample, which boots slower than the fleet would. The run from half the sample, below, shows how far the figures move.'
        : '.'),
    '',
    ...scaleTable(rows),
    '',
    '- **(a) API, no fallback.** A replica whose boot fails exits (the app cannot start without its secrets), and the kubelet starts it again with ' +
      'CrashLoopBackOff: 10 s after the first exit, doubling, at most 5 minutes, at the first sync of the pod after the back-off has expired ' +
      '(the pod worker re-syncs a waiting pod every 10-15 s: backOffPeriod 10 s, jitter factor 0.5). The library defaults apply (retries 6, deadline 15 s): ' +
      'a 429 whose retry-after does not fit the deadline ends the boot at once. Restarts of a fleet that crashed together stay roughly in step, so each wave meets ' +
      "a window with room for one minute's budget at most.",
    `- **(b) fallback.** Every replica holds a valid copy from its previous run (its volume survived the restart) with the same passphrase. ` +
      `Each replica derives the copy's key (PBKDF2-HMAC-SHA256, 500,000 rounds) on its own core: measured once here, ${fallback?.pbkdf2ChargeMs !== undefined ? `${int(fallback.pbkdf2ChargeMs)} ms` : 'n/a'} ` +
      'of CPU, charged to each boot as simulated time (the machine computes the key once: every replica holds the same copy). A boot with the fallback ' +
      'on waits for the derivation even when Doppler answered, because the copy is written back with that key. ' +
      (fallback
        ? `Fleet-wide that is ${int(fleetCount(fallback, fallback.derivationsCharged))} derivations, ${f(fleetCount(fallback, fallback.fleetPbkdf2CpuS) / 60, 0)} CPU-minutes. `
        : ''),
    '- **(c) operator and mounted volumes.** The Doppler Kubernetes Operator syncs the config into one Secret; each pod mounts it (a kubelet-layout ' +
      'volume of its own: `..data` -> `..<timestamp>`, one file per key) and reads it with `mounted`, so pods make no request to Doppler. ' +
      `The operator is one client polling with the ETag every ${sec(mounted?.operator?.resyncMs ?? 60_000, 0)} (resyncSeconds; 304 when nothing changed), modelled as ` +
      '`loadDopplerSecrets({ refresh: { interval: 60000, jitter: 0 } })` with a token of its own. When it sees the change, the kubelet updates each ' +
      `pod's volume at the pod's next sync: the kubelet re-syncs a pod every syncFrequency (60 s) with jitter factor 0.5, so every ` +
      `${sec(mounted?.operator?.kubeletSyncMs[0] ?? 60_000, 0)}-${sec(mounted?.operator?.kubeletSyncMs[1] ?? 90_000, 0)}, and pod i's volume changes ` +
      'U(0, P_i) after the Secret does, P_i ~ U(60 s, 90 s) (the watch-based Secret cache adds no TTL). The volume is swapped as the kubelet does it ' +
      "(new version directory, `..data_tmp` renamed over `..data`, old directory removed), and the pod's library notices it by its own fs.watch (or its 30 s poll)." +
      (mounted?.operator
        ? ` In this run the operator saw the edit ${sec(mounted.operator.sawChangeAfterMs, 0)} after it was made (its next resync), the volumes changed ` +
          `${spreadText(mounted.operator.volumeUpdateAfterEditMs, 0)} (p50 / p90 / p99 / max) after the edit, and each library served the new set ` +
          `${spreadText(mounted.operator.libraryAfterVolumeMs, 2)} after its volume changed (the watch, then a check 100 ms after the first event); ` +
          `${int(mounted.operator.watchMisses)} swaps were not seen by a watch.`
        : ''),
    '',
  ];
  const says: string[] = [];
  if (api) {
    says.push(
      `- **Requests.** (a) ${int(requestCount(api, api.requests.total))} requests, ${int(requestCount(api, api.requests.byStatus['429'] ?? 0))} of them answered 429, ` +
        `${int(fleetCount(api, api.boot.restarts))} crash restarts (up to ${int(api.boot.maxRestarts)} for one replica); ` +
        (fallback
          ? `(b) ${int(requestCount(fallback, fallback.requests.beforeEdit))} before the edit (the boots' attempts, then the first refreshes) and ${int(requestCount(fallback, fallback.requests.total))} in all; `
          : '') +
        (mounted
          ? `(c) ${int(mounted.requests.total)}, all the operator's, one a resync, whatever the number of pods.`
          : ''),
    );
    says.push(
      `- **Boot.** (a) half the fleet served after ${sec(api.boot.halfServingAtS * 1000, 0)} and the last replica after ${sec(api.boot.allServingAtS * 1000, 0)} ` +
        `(boot p50 ${sec(api.boot.p50, 0)}, p99 ${sec(api.boot.p99, 0)}): one token serves ${int(fleetRpm(api))} boots a minute at best. ` +
        (fallback
          ? `(b) every replica served after ${sec(fallback.boot.max, 2)}, the key derivation (${int(fleetCount(fallback, fallback.boot.fromFallback))} from the copy). `
          : '') +
        (mounted ? `(c) reading the volume involves no wait: ${sec(mounted.boot.max, 2)} at most.` : ''),
    );
    says.push(
      `- **Staleness of an edit.** (a) p50 ${sec(api.edit.p50, 0)}, p99 ${sec(api.edit.p99, 0)}, max ${sec(api.edit.max, 0)} with refresh every ${sec(api.refresh?.intervalMs ?? 0, 0)}; ` +
        (fallback ? `(b) p50 ${sec(fallback.edit.p50, 0)}, p99 ${sec(fallback.edit.p99, 0)}; ` : '') +
        (fast
          ? `with refresh every ${sec(fast.refresh?.intervalMs ?? 0, 0)} instead, ${pct((fast.requests.byStatus['429'] ?? 0) / Math.max(1, fast.requests.total))} of requests were answered 429 and the edit reached p50 ${sec(fast.edit.p50, 0)}, ` +
            `${int(fleetCount(fast, fast.edit.notAppliedByEnd))} replicas not by the end; `
          : '') +
        (mounted
          ? `(c) p50 ${sec(mounted.edit.p50, 0)}, p99 ${sec(mounted.edit.p99, 0)}, max ${sec(mounted.edit.max, 0)}: the operator's resync plus the kubelet's sync, ` +
            'independent of the number of pods.'
          : ''),
    );
  }
  if (api && apiCheck) {
    const pair = (g: (r: ScaleRow) => number, digits = 0): string =>
      `${sec(g(api), digits)} against ${sec(g(apiCheck), digits)}`;
    says.push(
      `- **Does multiplying up hold?** (a) from ${int(api.replicas)} and from ${int(apiCheck.replicas)} simulated replicas (both standing for ${int(fleetSize(api))}): ` +
        `boot p50 ${pair((r) => r.boot.p50)}, p99 ${pair((r) => r.boot.p99)}; edit served p50 ${pair((r) => r.edit.p50)}, p99 ${pair((r) => r.edit.p99)}; ` +
        `requests at scale ${int(requestCount(api, api.requests.total))} against ${int(requestCount(apiCheck, apiCheck.requests.total))}, ` +
        `crash restarts ${int(fleetCount(api, api.boot.restarts))} against ${int(fleetCount(apiCheck, apiCheck.boot.restarts))}. ` +
        'The closer the pairs, the less the figures depend on the sample size; a gap is the sampling error and the coarser retry-after of the smaller sample.',
    );
  }
  if (says.length > 0) out.push('What these runs say:', '', ...says, '');
  return out;
}

const perKey = (time: { keys: number; validate: { cpuMs: number } } | undefined): string =>
  time ? f((time.validate.cpuMs * 1000) / time.keys, 1) : 'n/a';

/** The command that produced a section: this run's, or the earlier run's it was kept from. */
const commandFor = (r: BenchResults, section: string): string =>
  r.carried?.find((c) => c.section === section)?.command ?? r.command;

export function renderMarkdown(r: BenchResults, previous?: BenchResults): string {
  const m = r.machine;
  const v = verdicts(r);
  const out: string[] = [
    '# Benchmarks',
    '',
    `Produced by \`${r.command}\` (${r.quick ? 'QUICK run: few iterations, scaled-down fleet; not for quoting' : r.carried && r.carried.length > 0 ? 'some sections kept from earlier runs' : 'full run'}), ` +
      `${r.startedAt} to ${r.finishedAt}.` +
      (r.carried && r.carried.length > 0
        ? ' Sections not run this time, kept from earlier runs: ' +
          r.carried.map((c) => `${c.section} (\`${c.command}\`, ${c.startedAt})`).join(', ') +
          '.'
        : ''),
    '',
    `Machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.platform}, Node ${m.node} (V8 ${m.v8}). ` +
      `Load average (1/5/15 min) at start ${m.loadAverage.join(' / ')}, at end ${r.loadAverageAtEnd.join(' / ')}: ` +
      'the machine was shared with other work, so absolute times are pessimistic; compare ratios, which are measured interleaved.',
    '',
    'Raw numbers: [results.json](results.json). Chart: [bench.svg](bench.svg).',
    '',
    '![benchmarks](bench.svg)',
    '',
  ];

  if (r.startup) {
    const s = r.startup;
    out.push(
      '## 1. Start-up to ready',
      '',
      `One process, ${s.rounds} rounds after ${s.warmup} warm-up rounds; every round runs the ${s.variants.length} variants in a rotating order ` +
        `(rotated by one each round, reversed every other block of ${s.variants.length}), so drift and load hit all alike. Each run drops ` +
        'pooled keep-alive sockets (a new process has none) and runs gc(), then times `NestFactory.createApplicationContext()` ' +
        'until it resolves (providers built, lifecycle hooks run). The emulator runs in another process, so its CPU time is not ' +
        'counted. Schema: 12 keys (URLs, numbers, a boolean, strings). Variants (c) and (d) run inside the same bare Nest context ' +
        'as a factory provider, which is how a team would wire them into a Nest app and makes (c - a) and (b - a) the same kind ' +
        'of quantity. (e) is a diagnostic: `loadDopplerSecrets()` (options check, client, download, whitelist ' +
        "validation, masked service) in such a plain factory provider, without DopplerModule's wiring. Every variant that uses the " +
        "library imports it from `nestjs-doppler`, the built package, as an app does. CPU time includes V8's " +
        'helper threads (concurrent GC, compilers), so it can exceed wall time.',
      '',
      '| variant | median (ms) | p25-p75 (ms) | median CPU (ms) | added over (a), median of paired differences (ms) |',
      '| --- | ---: | ---: | ---: | ---: |',
    );
    for (const x of s.variants) {
      const added = x.id === 'a' ? '-' : f(s.addedMs[x.id as 'b' | 'c' | 'd' | 'e']);
      out.push(
        `| ${x.label} | ${f(x.medianMs)} | ${f(x.p25Ms)}-${f(x.p75Ms)} | ${f(x.medianCpuMs)} | ${added} |`,
      );
    }
    const ratio = (name: string, x: { value: number; ci95: readonly [number, number] }): string =>
      `| ${name} | ${f(x.value)} | ${f(x.ci95[0])}-${f(x.ci95[1])} |`;
    out.push(
      '',
      '| ratio | value | 95 % bootstrap CI (resampling rounds) |',
      '| --- | ---: | ---: |',
      ratio('(b - a) / (c - a): DopplerModule added cost vs hand-rolled added cost', s.ratios.addedBoverC),
      ratio('(b - a) / (d - a): DopplerModule added cost vs official SDK added cost', s.ratios.addedBoverD),
      ratio('b / c: totals', s.ratios.totalBoverC),
      ratio('b / a', s.ratios.totalBoverA),
      ratio('c / a', s.ratios.totalCoverA),
      ratio('d / a', s.ratios.totalDoverA),
      ratio(
        '(e - a) / (c - a): the library fetch path alone vs hand-rolled (diagnostic)',
        s.ratios.addedEoverC,
      ),
      '',
      `Diagnostic split of (b - c), medians of paired differences: DopplerModule's Nest wiring (b - e) ${f(s.diagnostic.wiringMs)} ms; ` +
        `the library's fetch path over the hand-rolled one (e - c) ${f(s.diagnostic.fetchPathMs)} ms. ` +
        '(e) runs `loadDopplerSecrets()` (options check, client, download, whitelist validation, masked service) in a plain factory provider.',
      '',
      `**Goal** (DopplerModule's added cost within 10 % of the hand-rolled path's: (b - a) <= 1.10 x (c - a), on medians of per-round paired differences): ${v.startup?.text ?? 'n/a'}`,
      '',
    );
    if (s.cold.length > 0) {
      out.push(
        `Cold process (${s.cold[0]?.runs ?? 0} fresh \`node\` processes per variant, interleaved; from process start to ready, so module loading is included, which the in-process numbers cannot show):`,
        '',
        '| variant | median (ms) | p25-p75 (ms) | added over (a) (ms) |',
        '| --- | ---: | ---: | ---: |',
      );
      const a = s.cold.find((x) => x.id === 'a')?.medianMs ?? Number.NaN;
      for (const x of s.cold) {
        out.push(
          `| ${x.label} | ${f(x.medianMs, 1)} | ${f(x.p25Ms, 1)}-${f(x.p75Ms, 1)} | ${x.id === 'a' ? '-' : f(x.medianMs - a, 1)} |`,
        );
      }
      out.push('');
      if (s.coldRatios) {
        const c = s.coldRatios;
        out.push(
          `Cold, on medians of per-round paired differences: (b - a) / (c - a) = ${f(c.addedBoverC.value)} [95 % CI ${f(c.addedBoverC.ci95[0])}-${f(c.addedBoverC.ci95[1])}], ` +
            `(b - a) / (d - a) = ${f(c.addedBoverD.value)} [${f(c.addedBoverD.ci95[0])}-${f(c.addedBoverD.ci95[1])}]. ` +
            'Few runs on a loaded machine: wide intervals. The goal above is defined on the in-process numbers.',
          '',
        );
      }
    }
  }

  if (r.get) {
    out.push(
      '## 2. `secrets.get(key)` throughput and allocation',
      '',
      `Tight loops over 16 key references (the 12 keys, repeated), ${int(r.get.time.calls)} calls per trial, median of ${r.get.time.trials} trials after warm-up. ` +
        'Wall-clock rate and rate per CPU-second (process.cpuUsage) are both given: on a shared machine the loop loses time slices, which lowers the first only. ' +
        `Allocation: bytes allocated per call over ${int(r.get.alloc.allocCalls)} calls in a window with no GC at all ` +
        '(a separate process with a 256 MB young generation; gc() twice, heapUsed before and after, and a PerformanceObserver proving no collection ran). ' +
        "Node 20's v8.getHeapStatistics() has no cumulative allocation counter, and a heapUsed delta with scavenges in between undercounts, hence this method; " +
        'the control row shows it sees a 32-byte object per call.',
      '',
      '| loop | M reads/s (wall) | M reads/s per CPU-second | ns per call (CPU) | bytes allocated per call | GCs in window |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const row of r.get.time.rows) {
      const a = r.get.alloc.rows.find((x) => x.name === row.name);
      out.push(
        `| ${row.name} | ${f(row.readsPerSecondWall / 1e6, 1)} | ${f(row.readsPerSecondCpu / 1e6, 1)} | ${f(row.nsPerCallCpu, 1)} | ${a ? f(a.bytesPerCall, 4) : 'n/a'} | ${a?.gcs ?? 'n/a'} |`,
      );
    }
    out.push('', `**Goal** (>= 20 M reads/s, no allocation per read): ${v.get?.text ?? 'n/a'}`, '');
  }

  if (r.validation && r.validation.length > 0) {
    out.push(
      '## 3. Validation cost by number of keys',
      '',
      'Generated schema classes (one key in ten `@Type(() => Number) @IsInt() @Min(0)`, one in ten `@IsUrl()`, the rest `@IsString() @MinLength(8)`) and a payload that passes. ' +
        'Each size runs in its own processes (class-validator keeps metadata and constraint instances globally). ' +
        'Times are per call, through the public API only: parse = `JSON.parse` of the body (a baseline: the library parses the body with its own ' +
        'checks, which are not public; section 4 includes them), validate = `createSecretsService({ schema, values })` from `nestjs-doppler/testing` ' +
        "(the bootstrap's class-transformer then class-validator, whole set, then the masked service: validate and build), " +
        'build = `new SecretsService(values, metadata)` (one masked Secret per key, from already-validated values). CPU and wall medians; allocation as in section 2.',
      '',
      '| keys | body (bytes) | parse: `JSON.parse` (ms CPU) | validate and build (ms CPU) | validate and build (ms wall) | build alone (ms CPU) | validate and build per key (µs CPU) | growth vs previous size | allocated per validate and build | retained per service | validate and build with a Map-backed class-validator container (ms CPU) |',
      '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    );
    let previous: { keys: number; ms: number } | undefined;
    for (const { time, alloc, mapContainer } of r.validation) {
      const growth = previous
        ? `x${f(time.validate.cpuMs / previous.ms, 1)} for x${f(time.keys / previous.keys, 0)} keys`
        : '-';
      out.push(
        `| ${int(time.keys)} | ${int(time.bodyBytes)} | ${f(time.parse.cpuMs, 3)} | ${f(time.validate.cpuMs, 3)} | ${f(time.validate.wallMs, 3)} | ${f(time.build.cpuMs, 3)} | ` +
          `${f((time.validate.cpuMs * 1000) / time.keys, 2)} | ${growth} | ${f(alloc.validateAllocatedBytes / 1024, 0)} KiB | ${f(alloc.serviceRetainedBytes / 1024, 1)} KiB | ` +
          `${mapContainer ? f(mapContainer.validate.cpuMs, 3) : 'n/a'} |`,
      );
      previous = { keys: time.keys, ms: time.validate.cpuMs };
    }
    out.push(
      '',
      `Growth is superlinear: validation costs ${perKey(r.validation[0]?.time)} µs per key at ${int(r.validation[0]?.time.keys ?? 0)} keys and ` +
        `${perKey(r.validation[r.validation.length - 1]?.time)} µs per key at ${int(r.validation[r.validation.length - 1]?.time.keys ?? 0)}. ` +
        "The quadratic term is in the dependencies, not in this library: class-validator's default container " +
        '(`getFromContainer`) finds a constraint instance with a linear `Array.find` over every constraint instance in the process, once per ' +
        'decorator per validation, and every `@IsString()` use registers its own constraint class; class-transformer de-duplicates keys with `indexOf`. ' +
        'The last column re-times validation in a process whose app installed a Map-backed container (`useContainer({ get })` from class-validator); ' +
        "what remains superlinear there is class-transformer's part. Typical configs (10-100 keys) cost under a millisecond either way.",
      '',
    );
  }

  if (r.refresh && r.refresh.length > 0) {
    out.push(
      '## 4. One refresh cycle: 304 versus a changed payload',
      '',
      '`SecretsService.refresh()` of a service from `loadDopplerSecrets()` (the built package) runs against the emulator in another process, through a pass-through TCP proxy that counts ' +
        'bytes each way (HTTP request and response, headers and body; no TCP/IP framing, no TLS: real Doppler adds a TLS handshake per new connection). ' +
        'CPU time is process.cpuUsage() of this process around `refresh()` only. The keep-alive socket is dropped before each cycle, as the ' +
        'server idle timeout would at real intervals. 304 and changed cycles alternate.',
      '',
      '| keys | path | CPU per cycle (µs) | wall (ms) | bytes up | bytes down |',
      '| ---: | --- | ---: | ---: | ---: | ---: |',
    );
    for (const row of r.refresh) {
      out.push(
        `| ${int(row.keys)} | 304 Not Modified | ${int(row.notModified.cpuUs)} | ${f(row.notModified.wallMs)} | ${int(row.notModified.bytesUp)} | ${int(row.notModified.bytesDown)} |`,
        `| ${int(row.keys)} | changed (200, validate, swap) | ${int(row.changed.cpuUs)} | ${f(row.changed.wallMs)} | ${int(row.changed.bytesUp)} | ${int(row.changed.bytesDown)} |`,
      );
      out.push(
        `| ${int(row.keys)} | ratio changed / 304 | x${f(row.changed.cpuUs / row.notModified.cpuUs, 1)} | x${f(row.changed.wallMs / row.notModified.wallMs, 1)} | | x${f(row.changed.bytesDown / row.notModified.bytesDown, 1)} |`,
      );
    }
    out.push('');
  }

  if (r.fleet) {
    const fl = r.fleet;
    out.push(
      '## 5. Fleet simulation',
      '',
      `${int(fl.replicas)} replicas, each starting at a uniformly random time within ${sec(fl.spreadMs, 0)}, against one DopplerEmulator limited to ` +
        `${fl.rpm} requests per minute per token (sliding window; 429 with retry-after; only admitted requests take a slot), all presenting the same service token. ` +
        'Each replica is what an app runs: `loadDopplerSecrets()` from `nestjs-doppler`, the built package, over real loopback HTTP (the pipeline ' +
        'DopplerModule runs: options, retries with backoff and full jitter within the deadline, retry-after honoured when it fits, the fallback, ' +
        "validation; for refresh the library's own timer, jitter and backoff). Time is virtual: Date, setTimeout, AbortSignal.timeout and a seeded " +
        'Math.random follow a simulated clock that jumps to the next timer only when no I/O is in flight (no socket open, no file system request pending), ' +
        'so a request or a file read takes zero simulated time and 30 minutes take seconds ' +
        `(this section, the 1,000-replica part: ${f(fl.realSeconds, 0)} s of real time). A request's own timeout cannot fire in zero time; timeouts seen: ${fl.timeouts}. ` +
        'The fallback runs for real: each replica reads its own clone of a copy written by a real boot; its key derivation (PBKDF2, 500,000 rounds) is ' +
        `charged as the CPU time of one derivation measured here, ${int(fl.fallbackReadMs)} ms` +
        (fl.fallbackBoot
          ? ` (a real boot from the copy with Doppler refusing connections took ${int(fl.fallbackBoot.wallMs)} ms wall, ${int(fl.fallbackBoot.cpuMs)} ms CPU)`
          : '') +
        (fl.derivationsCharged !== undefined
          ? `; ${int(fl.derivationsCharged)} derivations charged in this part.`
          : '.'),
      '',
      ...modelChanges(),
      `### Boot, rate-limited (${int(fl.replicas)} replicas within ${sec(fl.spreadMs, 0)})`,
      '',
      'Each policy runs twice, the same start: without the fallback, and with it (every replica holding a valid copy).',
      '',
      ...bootTable(fl.boot),
      '',
      `### Boot during an outage (${int(fl.outage.replicas)} replicas within ${sec(fl.spreadMs, 0)}, Doppler answers 503 for the first ${sec(fl.outage.outageMs, 0)}, same rate limit)`,
      '',
      ...bootTable(fl.outage.rows),
      '',
      `### Steady-state refresh (${int(fl.replicas)} replicas started within ${sec(fl.spreadMs, 0)}; a secret changes half-way)`,
      '',
      'Each replica boots with a service token of its own (a `tokenFile`) and writes the shared token into that file right after: the library ' +
        're-reads the file before every refresh, so the replicas start out holding the current set and its ETag without a boot storm, and all refreshes ' +
        'share one rate limit. The boot requests are left out of the counts. ' +
        "Steady = from one third of the run to its end. Age of set = time since Doppler last confirmed a replica's set (a 304 or a 200), sampled every 10 s " +
        'from one third of the run on; an age close to the run length means a replica that never got an answer. ' +
        'Change applied = delay from the change in Doppler to the replica swapping in the new set.',
      '',
      ...refreshTable(fl.refresh),
      '',
      ...defaultsDiscussion(r),
      ...(previous ? comparison(previous, r) : []),
    );
  }
  if (r.scale) out.push(...scaleSection(r.scale.rows, commandFor(r, 'scale')));
  if (r.redaction) out.push(...redactionSection(r.redaction, commandFor(r, 'redaction')));
  if (r.watch) out.push(...watchSection(r.watch, commandFor(r, 'watch')));
  out.push(
    '## Reproduce',
    '',
    '```bash',
    'npm run bench                 # full run: builds the library (dist/cjs, dist/esm) and bench/ (dist/bench), writes docs/bench/',
    'npm run bench -- --quick      # a short smoke run: few iterations, a scaled-down fleet (1/4 replicas, 1/4 rate); writes dist/bench/quick/',
    'npm run bench -- --only=get,validation   # sections: startup, get, validation, refresh, fleet, scale, redaction, watch; the others are kept',
    'npm run bench -- --only=scale --sample=250   # the fleet at scale from a smaller sample (it must divide 10,000)',
    '```',
    '',
  );
  return out.join('\n');
}

const ratio = (a: number, b: number): string =>
  Number.isFinite(a / b) ? `x${f(a / b, a / b < 0.1 ? 3 : a / b < 10 ? 2 : 1)}` : 'n/a';
const size = (bytes: number): string =>
  bytes >= 1024 * 1024 ? `${f(bytes / 1024 / 1024, 1)} MiB` : `${f(bytes / 1024, 1)} KiB`;

/** Section 7, Markdown: the command that produced it, then build and per-call tables. */
export function redactionSection(x: RedactionResult, command: string): string[] {
  const out = [
    '## 7. Redaction: `SecretsService.redact()` and `DopplerLogger`',
    '',
    `Produced by \`${command}\`. One process (run with --expose-gc). The service is built with \`createSecretsService\` from ` +
      '`nestjs-doppler/testing` (the built package), values are synthetic (API keys, connection URLs with a password, hex tokens; ' +
      `a 1 MiB PEM-like bundle), the text is an ordinary ${int(x.lineBytes)}-character Nest log line, and the same line as a JSON ` +
      'log record broken over lines (so with `\\n` escapes to undo). ' +
      `Build = the first \`redact()\` of a fresh version, which compiles the masking automaton (median of ${x.builds} builds after one; ` +
      'the first build in the process, with a cold JIT, is given apart). Per call = later calls, median CPU time of batches. ' +
      'Baselines, same process and line: `line.includes(value)` for one value and for every value, and the previous engine ' +
      '(one regular expression alternating every rendering of every value) where V8 accepts its pattern. Ratios are CPU time over CPU time.',
    '',
    '| values | total size | build, median (ms CPU) | first build in process (ms CPU) | held by a built version | old regex: build (ms CPU) |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const row of x.rows) {
    const regex = 'failed' in row.regex ? `fails (${row.regex.failed})` : f(row.regex.buildCpuMs, 2);
    out.push(
      `| ${row.label} | ${size(row.valueBytes)} | ${f(row.buildCpuMs, 2)} | ${f(row.firstBuildCpuMs, 2)} | ` +
        `${size(row.retainedBytes)} | ${regex} |`,
    );
  }
  out.push(
    '',
    '| values | redact, clean line (µs CPU) | redact, line holding a value (µs CPU) | redact, JSON record with escapes (µs CPU) | `includes`, one value (µs) | redact / `includes` of one | `includes`, every value (µs) | redact / `includes` of every | old regex, clean line (µs) | redact / old regex, clean line | old regex, JSON record (µs) | redact / old regex, JSON record |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const row of x.rows) {
    const old = 'failed' in row.regex ? undefined : row.regex;
    out.push(
      `| ${row.label} | ${f(row.cleanUs, 2)} | ${Number.isFinite(row.withValueUs) ? f(row.withValueUs, 2) : '-'} | ${f(row.escapedUs, 2)} | ` +
        `${f(row.includesOneUs, 3)} | ${ratio(row.cleanUs, row.includesOneUs)} | ${f(row.includesAllUs, 2)} | ${ratio(row.cleanUs, row.includesAllUs)} | ` +
        `${old ? f(old.cleanUs, 2) : 'fails'} | ${old ? ratio(row.cleanUs, old.cleanUs) : 'n/a'} | ` +
        `${old ? f(old.escapedUs, 2) : 'fails'} | ${old ? ratio(row.escapedUs, old.escapedUs) : 'n/a'} |`,
    );
  }
  const big = x.rows.find((row) => Number.isFinite(row.wholeValueMs));
  const failed = x.rows.filter((row) => 'failed' in row.regex).map((row) => row.label);
  const counted = x.rows.filter((row) => Number.isFinite(row.withValueUs));
  const first = counted[0];
  const last = counted[counted.length - 1];
  out.push('');
  if (big)
    out.push(`Redacting the 1 MiB value itself (a 1 MiB text) costs ${f(big.wholeValueMs, 1)} ms CPU.`, '');
  if (first && last && first !== last) {
    out.push(
      `From ${first.label} to ${last.label}, redacting the clean line goes from ${f(first.cleanUs, 2)} to ${f(last.cleanUs, 2)} µs ` +
        `(${ratio(last.cleanUs, first.cleanUs)}), while checking each value with \`includes\` goes from ${f(first.includesAllUs, 2)} to ` +
        `${f(last.includesAllUs, 2)} µs (${ratio(last.includesAllUs, first.includesAllUs)}).`,
      '',
    );
  }
  if (failed.length > 0) {
    out.push(
      `The previous engine could not be built for: ${failed.join(', ')} (V8 refuses the pattern; its SyntaxError quotes every value, so only the error's name is recorded).`,
      '',
    );
  }
  return out;
}

export function consoleSummary(r: BenchResults): string {
  const lines: string[] = [];
  const m = r.machine;
  lines.push(
    `machine: ${m.cpuModel}, ${m.cores} cores, Node ${m.node}; load ${m.loadAverage.join('/')} -> ${r.loadAverageAtEnd.join('/')}`,
  );
  const v = verdicts(r);
  if (r.startup) {
    const s = r.startup;
    lines.push(
      `start-up medians: ${s.variants.map((x) => `${x.id}=${f(x.medianMs)} ms`).join(', ')}`,
      `  split of b-c: wiring (b-e) ${f(s.diagnostic.wiringMs)} ms, fetch path (e-c) ${f(s.diagnostic.fetchPathMs)} ms`,
      `  ratios: (b-a)/(c-a)=${f(s.ratios.addedBoverC.value)}  (b-a)/(d-a)=${f(s.ratios.addedBoverD.value)}  b/c=${f(s.ratios.totalBoverC.value)}  b/a=${f(s.ratios.totalBoverA.value)}  c/a=${f(s.ratios.totalCoverA.value)}  d/a=${f(s.ratios.totalDoverA.value)}`,
      `  goal: ${v.startup?.text ?? 'n/a'}`,
    );
    if (s.cold.length > 0)
      lines.push(`  cold: ${s.cold.map((x) => `${x.id}=${f(x.medianMs, 0)} ms`).join(', ')}`);
  }
  if (r.get) lines.push(`get: ${v.get?.text ?? 'n/a'}`);
  if (r.validation) {
    lines.push(
      `validation (ms CPU): ${r.validation.map((x) => `${x.time.keys} keys=${f(x.time.validate.cpuMs, 3)}`).join(', ')}`,
    );
  }
  if (r.refresh) {
    for (const row of r.refresh) {
      lines.push(
        `refresh ${row.keys} keys: 304 ${int(row.notModified.cpuUs)} µs CPU, ${row.notModified.bytesUp + row.notModified.bytesDown} B; ` +
          `changed ${int(row.changed.cpuUs)} µs CPU, ${row.changed.bytesUp + row.changed.bytesDown} B (x${f(row.changed.cpuUs / row.notModified.cpuUs, 1)} CPU)`,
      );
    }
  }
  if (r.fleet) {
    for (const b of r.fleet.boot) {
      lines.push(
        `fleet boot ${b.policy.name}: ${b.bootedWithoutFallback}/${b.replicas} without fallback, ${b.bootedWithFallback} with; ${b.requests} requests`,
      );
    }
    for (const b of r.fleet.outage.rows) {
      lines.push(
        `fleet outage ${b.policy.name}: ${b.bootedWithoutFallback}/${b.replicas}; ${b.requests} requests`,
      );
    }
    for (const x of r.fleet.refresh) {
      lines.push(
        `fleet refresh ${refreshLabel(x)}: ${int(x.requestsPerMinuteSteady)}/min, ${pct(x.share429Steady)} 429, age p99 ${sec(x.ageMs.p99, 0)}, not applied ${x.propagation.notAppliedByEnd}`,
      );
    }
  }
  for (const x of r.scale?.rows ?? []) {
    lines.push(
      `fleet at scale (${int(fleetSize(x))}, simulated ${int(x.replicas)}) ${scaleLabel(x)}: ${int(requestCount(x, x.requests.total))} requests, boot p50 ${sec(x.boot.p50, 1)} max ${sec(x.boot.max, 1)}, ` +
        `edit served p50 ${sec(x.edit.p50, 0)} p99 ${sec(x.edit.p99, 0)} max ${sec(x.edit.max, 0)}, ${int(fleetCount(x, x.edit.notAppliedByEnd))} not by the end`,
    );
  }
  if (r.redaction) {
    for (const row of r.redaction.rows) {
      lines.push(
        `redaction ${row.label}: build ${f(row.buildCpuMs)} ms CPU, clean 1 KB line ${f(row.cleanUs)} µs ` +
          `(${ratio(row.cleanUs, row.includesOneUs)} includes of one value, ${ratio(row.cleanUs, row.includesAllUs)} includes of every value)`,
      );
    }
  }
  return lines.join('\n') + '\n';
}
