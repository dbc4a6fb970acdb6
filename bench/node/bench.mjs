// The Node binding's benchmark: ironsecrets against node-vault 0.12 and a raw `fetch`
// loop, on one OpenBao. Run by `cargo xtask bench node` (which starts the OpenBao and
// runs the Rust `vault` benchmark against the same server afterwards); by hand, from
// bindings/node (where `ironsecrets` and node-vault resolve):
//
//     node ../../bench/node/bench.mjs measure --address URL --token T --json node.json
//     node ../../bench/node/bench.mjs report --node node.json [--rust vault.json] --out node.md
//
// `measure` sets up a transit key and a KV v2 secret, then measures in rounds, the
// clients in an order rotated by one each round: KV v2 read of a 64-byte secret and
// transit encrypt of 64 bytes, sequentially and with 16 in flight (16 async workers on
// the one event loop), plus `client.withCache({ ttl: 60 }).get` on a warm key in a
// tight loop. Nothing here asserts a timing.
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'

const require = createRequire(join(process.cwd(), 'package.json'))
const ironsecrets = require('ironsecrets')
const nodeVault = require('node-vault')

const KV_MOUNT = 'secret'
const TRANSIT_MOUNT = 'transit'
const KEY_NAME = 'bench'
const SECRET_PATH = 'bench/app/password'
const VALUE_LEN = 64
const SECRET_TEXT = Array.from({ length: VALUE_LEN }, (_, i) => String.fromCharCode(97 + ((i * 7 + 3) % 26))).join('')
const PLAINTEXT = Buffer.from(Array.from({ length: VALUE_LEN }, (_, i) => (i * 37 + 11) % 256))
const PLAINTEXT_B64 = PLAINTEXT.toString('base64')

const OPERATIONS = ['KV v2 read', 'transit encrypt']
const CLIENTS = ['ironsecrets', 'node-vault', 'raw fetch']
const MODES = ['sequential', 'in_flight']

// The targets.
const TARGET_SEQ_VS_NODE_VAULT = 2.5
const TARGET_IN_FLIGHT_VS_RAW_SATURATION = 0.8
const TARGET_CACHED_OPS = 1_000_000

function checkValue(length) {
  if (length !== VALUE_LEN) throw new Error(`read ${length} bytes, expected ${VALUE_LEN}`)
}

function checkCiphertext(text) {
  if (typeof text !== 'string' || !text.startsWith('vault:v1:')) throw new Error('no vault:v1 ciphertext')
}

async function setUp(address, token) {
  const call = async (method, path, body) => {
    const response = await fetch(`${address}/v1/${path}`, {
      method,
      headers: { 'X-Vault-Token': token, 'content-type': 'application/json' },
      body: body && JSON.stringify(body),
    })
    return response
  }
  const mounts = await (await call('GET', 'sys/mounts')).json()
  if (!(`${TRANSIT_MOUNT}/` in (mounts.data ?? mounts))) await call('POST', `sys/mounts/${TRANSIT_MOUNT}`, { type: 'transit' })
  if (!(await call('GET', `${TRANSIT_MOUNT}/keys/${KEY_NAME}`)).ok) {
    await call('POST', `${TRANSIT_MOUNT}/keys/${KEY_NAME}`, { type: 'aes256-gcm96' })
  }
  const written = await call('POST', `${KV_MOUNT}/data/${SECRET_PATH}`, { data: { value: SECRET_TEXT } })
  if (!written.ok) throw new Error(`writing the secret: ${written.status}`)
  const status = await (await call('GET', 'sys/seal-status')).json()
  return `OpenBao v${status.version ?? 'unknown'}`
}

/** One operation per client: an async function doing it once and checking the answer. */
async function operations(address, token) {
  const client = await ironsecrets.Client.open('vault', { address, token, mount: KV_MOUNT })
  const { transit } = client
  const vault = nodeVault({ apiVersion: 'v1', endpoint: address, token })
  const headers = { 'X-Vault-Token': token, 'content-type': 'application/json' }
  const kvUrl = `${address}/v1/${KV_MOUNT}/data/${SECRET_PATH}`
  const encryptUrl = `${address}/v1/${TRANSIT_MOUNT}/encrypt/${KEY_NAME}`
  return {
    'KV v2 read': {
      ironsecrets: async () => checkValue((await client.get(SECRET_PATH)).value.length),
      'node-vault': async () => checkValue((await vault.read(`${KV_MOUNT}/data/${SECRET_PATH}`)).data.data.value.length),
      'raw fetch': async () => {
        const response = await fetch(kvUrl, { headers })
        if (!response.ok) throw new Error(`HTTP ${response.status}`)
        checkValue((await response.json()).data.data.value.length)
      },
    },
    'transit encrypt': {
      ironsecrets: async () => checkCiphertext(await transit.encrypt(KEY_NAME, PLAINTEXT)),
      'node-vault': async () =>
        checkCiphertext((await vault.write(`${TRANSIT_MOUNT}/encrypt/${KEY_NAME}`, { plaintext: PLAINTEXT_B64 })).data.ciphertext),
      'raw fetch': async () => {
        const response = await fetch(encryptUrl, { method: 'POST', headers, body: JSON.stringify({ plaintext: PLAINTEXT_B64 }) })
        if (!response.ok) throw new Error(`HTTP ${response.status}`)
        checkCiphertext((await response.json()).data.ciphertext)
      },
    },
  }
}

/** `ops` calls of `op` over `workers` concurrent workers: wall time and latencies (ns). */
async function loop(op, ops, workers) {
  const latencies = []
  const work = async (count) => {
    for (let i = 0; i < count; i++) {
      const t = process.hrtime.bigint()
      await op()
      latencies.push(Number(process.hrtime.bigint() - t))
    }
  }
  const start = process.hrtime.bigint()
  await Promise.all(Array.from({ length: workers }, (_, i) => work(Math.floor(((i + 1) * ops) / workers) - Math.floor((i * ops) / workers))))
  return { ops, wall_ns: Number(process.hrtime.bigint() - start), latencies }
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

const percentile = (sorted, p) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.round((p / 100) * sorted.length + 0.5) - 1))] / 1000 : NaN

const loadAverage = () => os.loadavg().map((x) => x.toFixed(2)).join(' ')

async function measure(options) {
  const { address, token } = options
  const rounds = Number(options.rounds)
  const seq = Number(options.seq)
  const concurrent = Number(options.concurrent)
  const inFlight = Number(options['in-flight'])
  const warmUp = Number(options['warm-up'])
  const cachedOps = Number(options.cached)
  const loadBefore = loadAverage()
  const server = await setUp(address, token)
  console.error(`bench node: ${server} at ${address}`)
  const ops = await operations(address, token)
  for (const operation of OPERATIONS) {
    for (const client of CLIENTS) {
      await loop(ops[operation][client], warmUp, 1)
      await loop(ops[operation][client], Math.max(warmUp, inFlight), inFlight)
    }
  }
  const cached = (await ironsecrets.Client.open('vault', { address, token, mount: KV_MOUNT })).withCache({ ttl: 60 })
  checkValue((await cached.get(SECRET_PATH)).value.length)
  const cachedRound = async (count) => {
    const start = process.hrtime.bigint()
    for (let i = 0; i < count; i++) await cached.get(SECRET_PATH)
    return count / (Number(process.hrtime.bigint() - start) / 1e9)
  }
  await cachedRound(cachedOps / 10)

  const results = Object.fromEntries(OPERATIONS.map((op) => [op, Object.fromEntries(CLIENTS.map((c) => [c, { sequential: [], in_flight: [] }]))]))
  const cachedRounds = []
  const started = Date.now()
  for (let r = 0; r < rounds; r++) {
    const share = (total) => Math.floor(((r + 1) * total) / rounds) - Math.floor((r * total) / rounds)
    console.error(`bench node: round ${r + 1}/${rounds}: ${share(seq)} sequential, then ${share(concurrent)} with ${inFlight} in flight, per client and operation`)
    const order = [...CLIENTS.slice(r % CLIENTS.length), ...CLIENTS.slice(0, r % CLIENTS.length)]
    for (const operation of OPERATIONS) {
      for (const client of order) results[operation][client].sequential.push(await loop(ops[operation][client], share(seq), 1))
      for (const client of order) results[operation][client].in_flight.push(await loop(ops[operation][client], share(concurrent), inFlight))
    }
    cachedRounds.push(await cachedRound(share(cachedOps)))
  }
  const figures = []
  for (const operation of OPERATIONS) {
    for (const client of CLIENTS) {
      for (const mode of MODES) {
        const loops = results[operation][client][mode]
        const perRound = loops.map((x) => x.ops / (x.wall_ns / 1e9))
        const latencies = loops.flatMap((x) => x.latencies).sort((a, b) => a - b)
        figures.push({
          operation,
          client,
          mode,
          ops: loops.reduce((n, x) => n + x.ops, 0),
          ops_per_sec: median(perRound),
          rounds_ops_per_sec: perRound,
          p50_us: percentile(latencies, 50),
          p99_us: percentile(latencies, 99),
        })
      }
    }
  }
  return {
    server,
    address,
    node: process.version,
    ironsecrets: ironsecrets.version,
    node_vault: require('node-vault/package.json').version,
    rounds,
    seq,
    concurrent,
    in_flight: inFlight,
    warm_up: warmUp,
    cached_ops: cachedOps,
    elapsed_s: (Date.now() - started) / 1000,
    load_before: loadBefore,
    load_after: loadAverage(),
    date: new Date().toISOString().replace('T', ' ').replace(/\..*/, ' UTC'),
    figures,
    cached_get: { ops_per_sec: median(cachedRounds), rounds_ops_per_sec: cachedRounds },
  }
}

const grouped = (x) => Math.round(x).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ' ')
const ratio = (a, b) => (b ? `${(a / b).toFixed(2)}×` : '–')

function report(options) {
  const run = JSON.parse(readFileSync(options.node, 'utf8'))
  const rust = options.rust ? JSON.parse(readFileSync(options.rust, 'utf8')) : null
  const n = run.in_flight
  const modeName = { sequential: 'sequential', in_flight: `${n} in flight` }
  const figure = (operation, client, mode) =>
    run.figures.find((f) => f.operation === operation && f.client === client && f.mode === mode)
  const saturation = (operation) =>
    rust?.figures.find((f) => f.operation === operation && f.client === 'raw HTTP' && f.mode === 'in_flight')?.ops_per_sec ?? null
  const lines = []
  const add = (line = '') => lines.push(line)
  add('# Benchmark: the Node binding (`node`)\n')
  add(
    `Written by \`cargo xtask bench node\` (bench/node/bench.mjs on Node ${run.node} with the release addon, ` +
      `node-vault ${run.node_vault} and Node's own \`fetch\`). One run against one OpenBao dev server (the test kit's ` +
      '`ironsecrets-testkit-serve services openbao`, in memory, plain http on 127.0.0.1), on the same machine, so ' +
      'clients and server share its CPUs; ' +
      (rust
        ? 'the Rust `vault` benchmark ran right after against the same server for the raw saturation figure. '
        : 'the Rust `vault` benchmark was not run, so there is no raw saturation figure. ') +
      'Figures depend on the machine and its load; re-run to refresh them. Nothing in the test suite asserts a timing.\n',
  )
  add('## Results\n')
  const misses = []
  for (const operation of OPERATIONS) {
    const sat = saturation(operation)
    add(`### ${operation}\n`)
    add('| client | mode | ops | ops/s (median of rounds) | p50 µs | p99 µs | vs node-vault | vs raw fetch | vs Rust raw saturation |')
    add('|---|---|---:|---:|---:|---:|---:|---:|---:|')
    for (const mode of MODES) {
      for (const client of CLIENTS) {
        const f = figure(operation, client, mode)
        const name = client === 'ironsecrets' ? '**ironsecrets**' : client
        add(
          `| ${name} | ${modeName[mode]} | ${grouped(f.ops)} | ${grouped(f.ops_per_sec)} | ${f.p50_us.toFixed(1)} | ${f.p99_us.toFixed(1)} | ` +
            `${ratio(f.ops_per_sec, figure(operation, 'node-vault', mode).ops_per_sec)} | ` +
            `${ratio(f.ops_per_sec, figure(operation, 'raw fetch', mode).ops_per_sec)} | ${sat ? ratio(f.ops_per_sec, sat) : '–'} |`,
        )
      }
    }
    if (sat) {
      add(`\nRust raw saturation (${operation}, raw HTTP on one keep-alive \`reqwest::Client\`, ${rust.in_flight} in flight, from the Rust \`vault\` benchmark): **${grouped(sat)} ops/s**.\n`)
    } else add()
  }
  const cached = run.cached_get
  add('### Cached get\n')
  add(
    `\`(await Client.open('vault', ...)).withCache({ ttl: 60 }).get(path)\` awaited on a warm key, one loop: ` +
      `**${grouped(cached.ops_per_sec)} ops/s** (median of ${cached.rounds_ops_per_sec.length} rounds; rounds ` +
      `${grouped(Math.min(...cached.rounds_ops_per_sec))}–${grouped(Math.max(...cached.rounds_ops_per_sec))}), ` +
      `${Math.round(1e9 / cached.ops_per_sec)} ns per get.\n`,
  )
  add('## Targets\n')
  add('| target | operation | figure | met |')
  add('|---|---|---:|---|')
  for (const operation of OPERATIONS) {
    const seq = figure(operation, 'ironsecrets', 'sequential').ops_per_sec / figure(operation, 'node-vault', 'sequential').ops_per_sec
    const ok = seq >= TARGET_SEQ_VS_NODE_VAULT
    if (!ok) misses.push(`sequential vs node-vault, ${operation}`)
    add(`| sequential ≥ ${TARGET_SEQ_VS_NODE_VAULT}× node-vault | ${operation} | ${seq.toFixed(2)}× | ${ok ? 'yes' : '**no**'} |`)
  }
  for (const operation of OPERATIONS) {
    const sat = saturation(operation)
    if (!sat) {
      add(`| ${n} in flight ≥ ${TARGET_IN_FLIGHT_VS_RAW_SATURATION}× Rust raw saturation | ${operation} | – | not measured |`)
      continue
    }
    const share = figure(operation, 'ironsecrets', 'in_flight').ops_per_sec / sat
    const ok = share >= TARGET_IN_FLIGHT_VS_RAW_SATURATION
    if (!ok) misses.push(`${n} in flight vs Rust raw saturation, ${operation}`)
    add(`| ${n} in flight ≥ ${TARGET_IN_FLIGHT_VS_RAW_SATURATION}× Rust raw saturation | ${operation} | ${share.toFixed(2)}× | ${ok ? 'yes' : '**no**'} |`)
  }
  const cachedOk = cached.ops_per_sec >= TARGET_CACHED_OPS
  if (!cachedOk) misses.push('cached get')
  add(`| cached get ≥ ${grouped(TARGET_CACHED_OPS)} ops/s | KV v2 read | ${grouped(cached.ops_per_sec)} ops/s | ${cachedOk ? 'yes' : '**no**'} |`)
  add()
  add('## How it was measured\n')
  add(
    `- ${run.rounds} rounds, clients in an order rotated by one each round; per client and operation ${grouped(run.seq)} sequential ` +
      `operations and ${grouped(run.concurrent)} with ${n} in flight (async workers on the one event loop), after ${run.warm_up} warm-up ` +
      'operations each. ops/s is the median of the rounds; latencies are over all rounds.',
  )
  add('- ironsecrets: one `Client` (keep-alive connection pool in Rust, work on its tokio threads, one promise per call); ' +
    'node-vault: one client (its default `request`-based HTTP agent); raw fetch: Node\'s undici `fetch` with the token header.')
  if (rust) add(`- Rust raw saturation: \`ironsecrets-bench vault\` (release) against the same server: raw HTTP on one keep-alive \`reqwest::Client\`, ${rust.in_flight} in flight.`)
  add(`- Machine: ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), ${grouped(os.totalmem() / 2 ** 20)} MiB; load average ${run.load_before} before, ${run.load_after} after; ${run.date}; commit ${gitRev()}.`)
  if (misses.length) add(`- Targets missed in this run: ${misses.join('; ')}.`)
  add()
  return lines.join('\n')
}

function gitRev() {
  try {
    return execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { encoding: 'utf8' }).trim()
  } catch {
    return 'unknown'
  }
}

const [command, ...rest] = process.argv.slice(2)
if (command === 'measure') {
  const { values } = parseArgs({
    args: rest,
    options: {
      address: { type: 'string' },
      token: { type: 'string' },
      json: { type: 'string' },
      rounds: { type: 'string', default: '5' },
      seq: { type: 'string', default: '2000' },
      concurrent: { type: 'string', default: '8000' },
      'in-flight': { type: 'string', default: '16' },
      'warm-up': { type: 'string', default: '100' },
      cached: { type: 'string', default: '2000000' },
    },
  })
  if (!values.address || !values.token) throw new Error('measure needs --address and --token')
  const results = await measure(values)
  const text = JSON.stringify(results, null, 1)
  if (values.json) writeFileSync(values.json, text)
  console.log(text)
} else if (command === 'report') {
  const { values } = parseArgs({ args: rest, options: { node: { type: 'string' }, rust: { type: 'string' }, out: { type: 'string' } } })
  const text = report(values)
  if (values.out) writeFileSync(values.out, text)
  else console.log(text)
} else {
  console.error('usage: bench.mjs measure --address URL --token T [--json FILE] | report --node FILE [--rust FILE] [--out FILE]')
  process.exit(2)
}
