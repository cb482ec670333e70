/**
 * `npm run bench`: the gateway side by side with the floor (`bench/floor.ts`).
 *
 * Separate processes: the reference backends (`bench/backends.ts`), the floor, and the
 * gateway in its production profile (`node dist/src/main.js` after `npm run build`). This
 * process only drives load (autocannon, programmatic): per scenario a warm-up of each
 * target, then rounds alternating floor and gateway (A B A B …), and reports medians and
 * spreads of RPS, p50 and p99, the gateway's peak RSS, and each target of the issue.
 *
 * Flags: `--quick` (~30 s CI smoke: asserts only that every scenario produced numbers and
 * no request failed), `--soak` (adds the 5-minute S1 soak with forced GCs), `--tsx` (run
 * the gateway from src/ through tsx instead of building), `--only S1,S3`,
 * `--connections N`, `--duration S`, `--rounds N`, `--warmup S`, `--soak-seconds S`,
 * `--update-docs` (replace the table between the bench markers in docs/benchmark.md),
 * `--yoga` (S1, S2 and S3 also measure `bench/yoga-baseline.ts`, plain Yoga + DataLoader, as a
 * third target in each round), `--compressed` (clients send `accept-encoding: gzip, deflate, br`
 * as browsers do), `--entry path/main.js` (another gateway build, for
 * experiments; implies `--no-build`), `--compare path/main.js` (S1–S3 also measure that second
 * gateway build, same environment, as another target in each round: A/B of one lever in one
 * run), `--no-build` (run the existing dist/ as it is), `--env KEY=VALUE` (extra gateway environment), `--cpu-prof` (the gateway and the floor write V8 CPU profiles to bench/results/profiles/),
 * `--node-args="…"` (Node/V8 flags of the gateway instead of those of `npm start`),
 * `--compare-node-args="…"` (S1–S3 also measure the gateway with these flags instead: A/B of
 * the runtime flags in one run; with `--compare`, of that build with them).
 * The gateway runs with the Node/V8 flags of the `start` script in package.json, as `npm start`
 * runs it in production.
 * Writes `bench/results/latest.json` and `bench/results/latest.md` (quick runs:
 * `quick.*`; runs with `--only`, `--cpu-prof` or changed durations: `partial.*`), so that only
 * a full default run replaces the recorded figures).
 *
 * The pieces: `cli.ts` (flags), `project.ts` (the root, the flags of `npm start`),
 * `processes.ts` (child processes), `load.ts` (autocannon and summaries), `stack.ts` (the
 * gateway under test, the backends' controls), `backend-faults.ts` (the backends' fault route),
 * `scenarios.ts` (what each scenario sends and its targets), `report.ts` (Markdown and
 * docs/benchmark.md).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { flags, gatewayNodeArgs, JWT_SECRET, log, quick, RESULTS, ROOT, settings, splitArgs, USER_COUNT } from './cli.js';
import { load, round2, summarize, type LoadSpec, type RoundResult } from './load.js';
import { procMemMB, start, startBackends } from './processes.js';
import { DASHBOARD_QUERY, S3_IDS, USERS_QUERY } from './queries.js';
import { machine, markdown, mb, updateBenchmarkDoc, type ScenarioResult } from './report.js';
import { judge, scenarioNamed, SCENARIOS, type Scenario, type ScenarioName } from './scenarios.js';
import {
  allocationPerRequest,
  backendRequests,
  cacheStats,
  DASHBOARD_HASH,
  heapAfterGc,
  setLatency,
  startGateway,
  token,
} from './stack.js';

async function main(): Promise<void> {
  const only = new Set<ScenarioName>();
  for (const name of (flags.only ?? SCENARIOS.map((s) => s.name).join(',')).split(',')) {
    const scenario = scenarioNamed(name);
    if (!scenario) throw new Error(`--only: no scenario "${name.trim()}" (${SCENARIOS.map((s) => s.name).join(', ')})`);
    only.add(scenario.name);
  }
  const started = Date.now();
  mkdirSync(RESULTS, { recursive: true });

  let runtime: 'dist' | 'tsx' = flags.tsx || quick ? 'tsx' : 'dist';
  let buildNote =
    runtime === 'tsx'
      ? 'gateway run from src/ through tsx'
      : `gateway built with \`npm run build\`, run as \`${['node', ...gatewayNodeArgs, 'dist/src/main.js'].join(' ')}\``;
  if (runtime === 'dist' && (flags['no-build'] || flags.entry)) {
    if (!existsSync(join(ROOT, 'dist/src/main.js'))) throw new Error('--no-build: dist/src/main.js does not exist; run npm run build');
    buildNote = `gateway run from the existing dist/ (--no-build)${gatewayNodeArgs.length > 0 ? ` with \`${gatewayNodeArgs.join(' ')}\`` : ''}`;
  } else if (runtime === 'dist') {
    log('building the gateway (npm run build)…');
    const build = start('build', [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {});
    const code = await new Promise<number | null>((r) => build.child.once('exit', r));
    if (code !== 0 && !existsSync(join(ROOT, 'dist/src/main.js'))) {
      log(`build failed (code ${code}): falling back to tsx`);
      runtime = 'tsx';
      buildNote = 'build failed: gateway run from src/ through tsx';
    } else if (code !== 0) {
      buildNote = `tsc reported type errors (code ${code}); dist/ was emitted and is what ran`;
      log(buildNote);
    }
  }

  const { proc: backends, urls } = await startBackends(JWT_SECRET);
  const floorProf = flags['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', join(RESULTS, 'profiles', 'floor')] : [];
  const floorProc = start('floor', [...floorProf, '--import', 'tsx', 'bench/floor.ts'], {
    PORT: '0',
    AUTH_SERVICE_URL: urls.auth,
    COMMENT_SERVICE_URL: urls.comment,
    INDUSTRY_SERVICE_URL: urls.industry,
    NPS_SERVICE_URL: urls.nps,
  });
  const floorUrl = await floorProc.line('BENCH_FLOOR');
  const yogaProc = flags.yoga
    ? start('yoga baseline', ['--import', 'tsx', 'bench/yoga-baseline.ts'], {
        PORT: '0',
        AUTH_SERVICE_URL: urls.auth,
        COMMENT_SERVICE_URL: urls.comment,
        INDUSTRY_SERVICE_URL: urls.industry,
        NPS_SERVICE_URL: urls.nps,
      })
    : null;
  const yogaUrl = yogaProc ? await yogaProc.line('BENCH_YOGA') : null;

  const userTokens = await Promise.all(Array.from({ length: USER_COUNT }, (_, i) => token(`u${i + 1}`, 'user')));
  const adminToken = await token('bench-admin', 'admin');

  let nextUser = 0;
  const nextId = () => (nextUser = (nextUser % USER_COUNT) + 1);
  let nextWindow = 0;
  const nextIds = () => {
    const first = nextWindow;
    nextWindow = (nextWindow + S3_IDS) % USER_COUNT;
    return Array.from({ length: S3_IDS }, (_, i) => `u${((first + i) % USER_COUNT) + 1}`);
  };

  const dashboardBad = (body: string) => body.includes('"errors"') || !body.includes('"degraded":[]');
  const usersBad = (body: string) => body.includes('"errors"');
  const floorDashboard = (): LoadSpec => ({ url: floorUrl, method: 'GET', next: () => ({ path: `/dashboard/u${nextId()}` }) });
  // S1 sends the dashboard's document; S1-persisted names it by its hash in the manifest (stack.ts).
  const persistedQuery = { version: 1, sha256Hash: DASHBOARD_HASH };
  const dashboardSpec = (url: string, params: (id: number) => Record<string, unknown>): LoadSpec => ({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    next: () => {
      const id = nextId();
      return { path: '/graphql', body: JSON.stringify(params(id)), headers: { authorization: `Bearer ${userTokens[id - 1]}` } };
    },
    bad: dashboardBad,
  });
  const gatewayDashboard = (url: string) => dashboardSpec(url, (id) => ({ query: DASHBOARD_QUERY, variables: { id: `u${id}` } }));
  const gatewayPersistedDashboard = (url: string) =>
    dashboardSpec(url, (id) => ({ variables: { id: `u${id}` }, extensions: { persistedQuery } }));
  // The Yoga baseline (`--yoga`) takes the documents without a token; null without `--yoga`.
  const yogaSpec = (params: () => Record<string, unknown>, bad: (text: string) => boolean): LoadSpec | null =>
    yogaUrl === null
      ? null
      : {
          url: yogaUrl,
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          next: () => ({ path: '/graphql', body: JSON.stringify(params()) }),
          bad,
        };
  const yogaDashboard = () => yogaSpec(() => ({ query: DASHBOARD_QUERY, variables: { id: `u${nextId()}` } }), dashboardBad);
  const yogaUsers = () => yogaSpec(() => ({ query: USERS_QUERY, variables: { ids: nextIds() } }), usersBad);
  const floorUsers = (): LoadSpec => ({ url: floorUrl, method: 'GET', next: () => ({ path: `/users?ids=${nextIds().join(',')}` }) });
  const gatewayUsers = (url: string): LoadSpec => ({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
    next: () => ({ path: '/graphql', body: JSON.stringify({ query: USERS_QUERY, variables: { ids: nextIds() } }) }),
    bad: usersBad,
  });

  const results: Partial<Record<ScenarioName, ScenarioResult>> = {};
  const yogaRatio = (r: ScenarioResult): number | null =>
    r.yogaBaseline ? round2(r.gateway.median.rps / r.yogaBaseline.median.rps) : null;
  let peakRssS1: number | null = null;
  let soak: Record<string, unknown> | null = null;

  async function compare(
    name: ScenarioName,
    title: string,
    floor: LoadSpec,
    gw: LoadSpec,
    gwPid: number,
    opts: { countBackendCalls?: boolean; yoga?: LoadSpec | null; other?: { spec: LoadSpec; pid: number } | null } = {},
  ): Promise<ScenarioResult> {
    const watchFloor = { floor: floorProc.pid, backends: backends.pid };
    const watchGw = { gateway: gwPid, backends: backends.pid };
    log(`${name}: warm-up`);
    await load(floor, { durationS: settings.warmupS, connections: settings.connections });
    await load(gw, { durationS: settings.warmupS, connections: settings.connections });
    const f: RoundResult[] = [];
    const g: RoundResult[] = [];
    const y: RoundResult[] = [];
    const o: RoundResult[] = [];
    let backendCalls = 0;
    if (opts.yoga) await load(opts.yoga, { durationS: settings.warmupS, connections: settings.connections });
    if (opts.other) await load(opts.other.spec, { durationS: settings.warmupS, connections: settings.connections });
    for (let i = 0; i < settings.rounds; i++) {
      f.push(await load(floor, { durationS: settings.durationS, connections: settings.connections, watch: watchFloor }));
      if (opts.countBackendCalls) await backendRequests(urls, true);
      g.push(await load(gw, { durationS: settings.durationS, connections: settings.connections, watch: watchGw }));
      // The log keeps 10 000 entries per service: exact while calls are rare (S4), a floor otherwise.
      if (opts.countBackendCalls) backendCalls += await backendRequests(urls);
      if (opts.yoga && yogaProc) {
        y.push(
          await load(opts.yoga, {
            durationS: settings.durationS,
            connections: settings.connections,
            watch: { floor: yogaProc.pid, backends: backends.pid },
          }),
        );
        log(`${name} round ${i + 1}: yoga baseline ${y.at(-1)!.rps} rps p99 ${y.at(-1)!.p99} ms`);
      }
      if (opts.other) {
        o.push(
          await load(opts.other.spec, {
            durationS: settings.durationS,
            connections: settings.connections,
            watch: { gateway: opts.other.pid, backends: backends.pid },
          }),
        );
        log(`${name} round ${i + 1}: --compare build ${o.at(-1)!.rps} rps p99 ${o.at(-1)!.p99} ms`);
      }
      log(
        `${name} round ${i + 1}: floor ${f.at(-1)!.rps} rps p99 ${f.at(-1)!.p99} ms · gateway ${g.at(-1)!.rps} rps p99 ${g.at(-1)!.p99} ms`,
      );
    }
    const floorS = summarize(f);
    const gwS = summarize(g);
    return {
      title,
      floor: floorS,
      gateway: gwS,
      ratio: {
        rps: round2(gwS.median.rps / floorS.median.rps),
        p99: round2(gwS.median.p99 / floorS.median.p99),
        rpsPerCpuS: gwS.rpsPerCpuS !== null && floorS.rpsPerCpuS ? round2(gwS.rpsPerCpuS / floorS.rpsPerCpuS) : null,
      },
      targets: [],
      ...(opts.countBackendCalls ? { gatewayBackendCalls: backendCalls } : {}),
      ...(y.length > 0 ? { yogaBaseline: summarize(y) } : {}),
      ...(o.length > 0 ? { compareBuild: summarize(o) } : {}),
    };
  }

  const needUncached = SCENARIOS.some((sc) => !sc.cache && only.has(sc.name));
  if (needUncached) {
    const gw = await startGateway(urls, false, runtime, false);
    const compareArgs = flags['compare-node-args'];
    const other =
      flags.compare !== undefined || compareArgs !== undefined
        ? await startGateway(
            urls,
            false,
            runtime,
            false,
            flags.compare ?? flags.entry,
            compareArgs !== undefined ? splitArgs(compareArgs) : gatewayNodeArgs,
          )
        : null;
    const otherOf = (spec: (url: string) => LoadSpec) => (other ? { spec: spec(other.url), pid: other.proc.pid } : null);
    // `--alloc`, after a scenario's rounds (the profiler costs CPU): one more load of each build, sampled.
    const measureAllocation = async (name: ScenarioName, r: ScenarioResult, spec: (url: string) => LoadSpec) => {
      const measure = (url: string, proc: typeof gw.proc) =>
        allocationPerRequest(proc, () =>
          load(spec(url), { durationS: Math.min(settings.durationS, 5), connections: settings.connections }),
        );
      r.allocation = await measure(gw.url, gw.proc);
      log(`${name} allocation: ${r.allocation.kbPerRequest} KB per request ${JSON.stringify(r.allocation.byPackageKB)}`);
      if (other) {
        r.compareAllocation = await measure(other.url, other.proc);
        log(`${name} allocation, --compare build: ${r.compareAllocation.kbPerRequest} KB per request`);
      }
    };
    try {
      const spec = (name: ScenarioName): Scenario => SCENARIOS.find((x) => x.name === name)!;
      if (only.has('S1')) {
        const sc = spec('S1');
        await setLatency(urls, sc.backendLatencyMs);
        const r = await compare('S1', sc.title, floorDashboard(), gatewayDashboard(gw.url), gw.proc.pid, {
          yoga: yogaDashboard(),
          other: otherOf(gatewayDashboard),
        });
        peakRssS1 = procMemMB(gw.proc.pid, 'VmHWM');
        if (other) r.comparePeakRssMB = procMemMB(other.proc.pid, 'VmHWM');
        if (flags.alloc) await measureAllocation('S1', r, gatewayDashboard);
        if (yogaProc?.pid !== undefined) r.yogaPeakRssMB = procMemMB(yogaProc.pid, 'VmHWM');
        r.targets.push(
          ...judge(sc, {
            rpsRatio: r.ratio.rps,
            yogaRpsRatio: yogaRatio(r),
            p99Ratio: r.ratio.p99,
            peakRssMB: peakRssS1,
            allocKB: r.allocation?.kbPerRequest ?? null,
          }),
        );
        results.S1 = r;
      }
      if (only.has('S1-persisted')) {
        const sc = spec('S1-persisted');
        await setLatency(urls, sc.backendLatencyMs);
        const r = await compare('S1-persisted', sc.title, floorDashboard(), gatewayPersistedDashboard(gw.url), gw.proc.pid, {
          other: otherOf(gatewayPersistedDashboard),
        });
        r.targets.push(...judge(sc, { rpsRatio: r.ratio.rps }));
        results['S1-persisted'] = r;
      }
      if (only.has('S2')) {
        const sc = spec('S2');
        await setLatency(urls, sc.backendLatencyMs);
        const r = await compare('S2', sc.title, floorDashboard(), gatewayDashboard(gw.url), gw.proc.pid, {
          yoga: yogaDashboard(),
          other: otherOf(gatewayDashboard),
        });
        r.targets.push(...judge(sc, { rpsRatio: r.ratio.rps }));
        results.S2 = r;
        await setLatency(urls, 0);
      }
      if (only.has('S3')) {
        const sc = spec('S3');
        await setLatency(urls, sc.backendLatencyMs);
        const r = await compare('S3', sc.title, floorUsers(), gatewayUsers(gw.url), gw.proc.pid, {
          yoga: yogaUsers(),
          other: otherOf(gatewayUsers),
        });
        // Counted over a short window of its own (the backends' request log keeps 10 000
        // entries), one query at a time so that the count divides exactly.
        const amount = 40;
        const perQuery = async (spec: LoadSpec) => {
          await backendRequests(urls, true);
          for (let i = 0; i < amount; i++) {
            const n = spec.next();
            const res = await fetch(`${spec.url}${n.path}`, {
              method: spec.method,
              headers: { ...spec.headers, ...n.headers },
              ...(n.body !== undefined ? { body: n.body } : {}),
            });
            const text = await res.text();
            if (!res.ok || spec.bad?.(text)) throw new Error(`S3 count: a query failed (HTTP ${res.status}): ${text.slice(0, 300)}`);
          }
          return round2((await backendRequests(urls)) / amount);
        };
        const counts = { floor: await perQuery(floorUsers()), gateway: await perQuery(gatewayUsers(gw.url)) };
        r.backendRequestsPerQuery = counts;
        if (flags.alloc) await measureAllocation('S3', r, gatewayUsers);
        r.targets.push(...judge(sc, { backendRequestsPerQuery: counts.gateway, rpsRatio: r.ratio.rps, yogaRpsRatio: yogaRatio(r) }));
        results.S3 = r;
      }
    } finally {
      await gw.proc.stop();
      await other?.proc.stop();
    }
  }

  if (only.has('S4')) {
    const sc = SCENARIOS.find((x) => x.name === 'S4')!;
    await setLatency(urls, sc.backendLatencyMs);
    const gw = await startGateway(urls, sc.cache, runtime, false);
    try {
      // Fill the cache with every dashboard before the measured part starts.
      const fill = gatewayDashboard(gw.url);
      await load(fill, { amount: USER_COUNT, connections: 1 });
      const before = await cacheStats(gw.url);
      const r = await compare('S4', sc.title, floorDashboard(), gatewayDashboard(gw.url), gw.proc.pid, {
        countBackendCalls: true,
      });
      const after = await cacheStats(gw.url);
      r.cacheHitRate =
        before && after && after.hits + after.misses - before.hits - before.misses > 0
          ? round2((after.hits - before.hits) / (after.hits + after.misses - before.hits - before.misses))
          : null;
      r.targets.push(...judge(sc, { rpsRatio: r.ratio.rps }));
      results.S4 = r;
    } finally {
      await gw.proc.stop();
    }
  }

  if (flags.soak) {
    await setLatency(urls, 0);
    const gw = await startGateway(urls, false, runtime, true);
    try {
      log(`soak: warm-up ${settings.warmupS * 2} s`);
      await load(gatewayDashboard(gw.url), { durationS: settings.warmupS * 2, connections: settings.connections });
      const afterWarmup = await heapAfterGc(gw.proc);
      log(`soak: ${settings.soakS} s of S1 load`);
      const run = await load(gatewayDashboard(gw.url), {
        durationS: settings.soakS,
        connections: settings.connections,
        watch: { gateway: gw.proc.pid },
      });
      const afterSoak = await heapAfterGc(gw.proc);
      const growth = round2(((afterSoak.heapUsed - afterWarmup.heapUsed) / afterWarmup.heapUsed) * 100);
      soak = {
        seconds: settings.soakS,
        requests: run.requests,
        failed: run.failed,
        heapAfterWarmupMB: mb(afterWarmup.heapUsed),
        heapAfterSoakMB: mb(afterSoak.heapUsed),
        growthPct: growth,
        rssMaxMB: run.rssMaxMB,
        met: growth <= 10,
      };
      log(`soak: heap ${mb(afterWarmup.heapUsed)} MB → ${mb(afterSoak.heapUsed)} MB (${growth}%)`);
    } finally {
      await gw.proc.stop();
    }
  }

  await floorProc.stop();
  await yogaProc?.stop();
  await backends.stop();

  const report = {
    date: new Date().toISOString(),
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    quick,
    machine: machine(),
    arrangement: {
      gateway: buildNote,
      processes:
        'backends (4 services, one process), floor, gateway: separate node processes; autocannon in the bench process; loopback only',
      connections: settings.connections,
      durationS: settings.durationS,
      rounds: settings.rounds,
      warmupS: settings.warmupS,
      s1Tokens: 'a user token per user (role user, reading their own dashboard); S3 an admin token',
    },
    scenarios: results,
    memory: { peakRssS1MB: peakRssS1, soak },
    elapsedS: Math.round((Date.now() - started) / 1000),
  };
  // Only a full default run replaces the recorded figures.
  const partial =
    flags.compressed ||
    flags.entry !== undefined ||
    flags.compare !== undefined ||
    flags['node-args'] !== undefined ||
    flags['compare-node-args'] !== undefined ||
    flags.only !== undefined ||
    flags['cpu-prof'] ||
    flags['no-build'] ||
    flags.env !== undefined ||
    flags.connections !== undefined ||
    flags.duration !== undefined ||
    flags.rounds !== undefined ||
    flags.warmup !== undefined;
  const base = quick ? 'quick' : partial ? 'partial' : 'latest';
  writeFileSync(join(RESULTS, `${base}.json`), JSON.stringify(report, null, 2) + '\n');
  const md = markdown(
    report.machine,
    report.arrangement,
    results,
    soak,
    `${report.command} (${report.date.slice(0, 16).replace('T', ' ')} UTC, ${report.elapsedS} s; ${buildNote})`,
  );
  writeFileSync(join(RESULTS, `${base}.md`), md);
  process.stdout.write(`\n${md}\n`);
  if (flags['update-docs'] && base === 'latest') updateBenchmarkDoc(md);

  const problems: string[] = [];
  for (const [name, r] of Object.entries(results)) {
    if (!(r.floor.median.rps > 0) || !(r.gateway.median.rps > 0)) problems.push(`${name}: no numbers`);
    if (r.floor.failed > 0) problems.push(`${name}: ${r.floor.failed} floor requests failed`);
    if (r.gateway.failed > 0) problems.push(`${name}: ${r.gateway.failed} gateway requests failed`);
  }
  for (const s of only) if (!(s in results)) problems.push(`${s}: did not run`);
  if (problems.length > 0) {
    process.stderr.write(`bench: FAILED\n  ${problems.join('\n  ')}\n`);
    process.exit(1);
  }
  log(`done in ${report.elapsedS} s; wrote bench/results/${base}.json and ${base}.md`);
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
