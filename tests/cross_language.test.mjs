// Cross-language tests: the Rust CLI, the Python package and the Node package on the same
// stores. See README.md next to this file for what they check and how to point them at
// other builds.
//
// On one OpenBao (KV v2) and on one embedded store file (one master key for all three),
// each language writes the same kinds of secret (non-ASCII text at a non-ASCII path with
// tags and a rotation policy, every byte value, an empty value, a key/value secret with
// a non-ASCII field) and the other two read them back: bytes, fields, version numbers,
// creation times (to the millisecond, Node's precision), tags and rotation policy must
// agree. Then each text secret gets a second version from another language, written with
// check-and-set, and all three must see the same versions; a stale check-and-set must be a
// Conflict in each language. Last, the three conformance check lists (Rust, Python, Node)
// must be the same, name by name and in order, with the same requirements.
//
// Rust is the CLI (a process per command), Python the venv's interpreter (one process
// per batch of operations, given as JSON on stdin), Node this process.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { before, describe, test } from 'node:test'
import { fileURLToPath, pathToFileURL } from 'node:url'

// ---------------------------------------------------------------------------------
// Where things are: environment variables, defaulting to the source tree.
// ---------------------------------------------------------------------------------

/** The repository root (this file is tests/cross_language.test.mjs). */
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const TARGET = process.env.CARGO_TARGET_DIR || join(REPO, 'target')

const env = (name, fallback) => process.env[name] || fallback

const CLI = env('IRONSECRETS_CLI', join(TARGET, 'debug', 'ironsecrets'))
const PYTHON = env('IRONSECRETS_PYTHON', join(TARGET, 'python', 'venv-3.11', 'bin', 'python'))
const PYTHON_TESTS = env('IRONSECRETS_PYTHON_TESTS', join(REPO, 'bindings', 'python', 'tests'))
const NODE_PACKAGE = env('IRONSECRETS_NODE_PACKAGE', join(REPO, 'bindings', 'node'))
const NODE_TESTS = env('IRONSECRETS_NODE_TESTS', join(REPO, 'bindings', 'node', 'tests'))
const NODE_CHECKS = env('IRONSECRETS_NODE_CHECKS', join(NODE_TESTS, 'conformance_checks.mjs'))

/** Fails (never skips) when `path` is missing, saying what makes it. */
function required(path, what, makes) {
  if (!existsSync(path)) throw new Error(`${what} ${path} does not exist: ${makes}`)
  return path
}

required(CLI, 'the Rust CLI (IRONSECRETS_CLI)', 'build it with `cargo build -p ironsecrets-cli` (or `cargo build --workspace`), or point IRONSECRETS_CLI at it')
required(PYTHON, 'the Python interpreter with ironsecrets installed (IRONSECRETS_PYTHON)', 'make it with `cargo xtask python` (it builds the wheel and installs it in target/python/venv-3.11), or point IRONSECRETS_PYTHON at a python that can `import ironsecrets`')
required(join(PYTHON_TESTS, 'test_conformance.py'), 'the Python conformance checks (IRONSECRETS_PYTHON_TESTS)', 'they are bindings/python/tests in the source tree; point IRONSECRETS_PYTHON_TESTS at that directory')
required(join(NODE_PACKAGE, 'package.json'), 'the Node package (IRONSECRETS_NODE_PACKAGE)', 'it is bindings/node (after `npm run build` there, or `cargo xtask node`) or an installed node_modules/ironsecrets; point IRONSECRETS_NODE_PACKAGE at it')
required(NODE_CHECKS, 'the Node conformance checks (IRONSECRETS_NODE_CHECKS)', 'they are bindings/node/tests/conformance_checks.mjs; point IRONSECRETS_NODE_CHECKS at it')
required(join(NODE_TESTS, 'services.mjs'), 'the Node tests\' service launcher (IRONSECRETS_NODE_TESTS)', 'it is bindings/node/tests/services.mjs; point IRONSECRETS_NODE_TESTS at its directory')

/** The Node package's ES module entry point, as its package.json exports it. */
function nodeEntry(pkg) {
  const manifest = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8'))
  const dot = manifest.exports?.['.']
  const entry = (typeof dot === 'string' ? dot : dot?.import) ?? manifest.module ?? manifest.main ?? 'index.js'
  const file = join(pkg, entry)
  return required(file, 'the Node package\'s entry point', `the package at ${pkg} is incomplete; build it with \`npm run build\` in bindings/node (or \`cargo xtask node\`)`)
}

const ironsecrets = await import(pathToFileURL(nodeEntry(NODE_PACKAGE)).href)
const { Client, ConflictError, RotationPolicy } = ironsecrets
const { services, rustChecks } = await import(pathToFileURL(join(NODE_TESTS, 'services.mjs')).href)

// ---------------------------------------------------------------------------------
// What is written.
// ---------------------------------------------------------------------------------

/** One master key for the embedded store, in every language (not ASCII on purpose). */
const MASTER_KEY = 'cross-language master key — ключ 秘密 🔑'

const LANGS = ['rust', 'python', 'node']
/** Who writes version 2 of whose text secret: each language overwrites the previous one's. */
const NEXT = { rust: 'python', python: 'node', node: 'rust' }

const RUN = `cross-language-${randomBytes(6).toString('hex')}`

const TAGS = (lang) => ({ writer: lang, 'ünï-cödé': 'värde ✓ 秘密' })
const ROTATION_DAYS = [30, 7]
const DAY = 24 * 60 * 60

/** The secrets language `lang` writes: `{ kind: { path, bytes | fields } }`. */
function secretsOf(lang) {
  const base = `${RUN}/${lang}`
  const binary = Buffer.from([...Buffer.from(lang), ...Array.from({ length: 256 }, (_, i) => i)])
  return {
    text: {
      path: `${base}/tëxt/秘密`,
      bytes: Buffer.from(` ${lang}: pä55 — 秘密 🔑 ключ\n`, 'utf8'),
      tags: TAGS(lang),
      rotation: ROTATION_DAYS,
    },
    binary: { path: `${base}/binary`, bytes: binary },
    empty: { path: `${base}/empty`, bytes: Buffer.alloc(0) },
    map: {
      path: `${base}/map`,
      fields: { user: `app-${lang}`, password: `pä55=w0rd ${lang} 秘密`, 'ключ': 'значение', blank: '' },
    },
  }
}

/** Version 2 of `owner`'s text secret, as the next language writes it. */
const secondText = (owner) => Buffer.from(`${NEXT[owner]} over ${owner}: ünï 2 ✓`, 'utf8')

// ---------------------------------------------------------------------------------
// Children: a clean environment, the CLI, the Python batch.
// ---------------------------------------------------------------------------------

/** This process's environment without what would point a child elsewhere, plus `extra`. */
function childEnv(extra = {}) {
  const out = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (/^(VAULT_|BAO_|IRONSECRETS_)/.test(name)) continue
    if (['PYTHONPATH', 'PYTHONHOME', 'PYTHONSTARTUP', 'NODE_OPTIONS', 'NODE_PATH'].includes(name)) continue
    out[name] = value
  }
  return { ...out, ...extra }
}

/** `text` with secret values replaced by their length, for failure messages. */
const hidden = (buffer) => `<${buffer.length} bytes>`

/** A CLI command against `store`: `{ status, stdout (Buffer), stderr }`. */
function cli(store, args, input) {
  const run = spawnSync(CLI, ['--store', store.cliUri, ...args], {
    env: childEnv(store.cliEnv),
    input: input ?? Buffer.alloc(0),
    maxBuffer: 64 << 20,
    timeout: 60_000,
  })
  if (run.error) throw new Error(`${CLI}: ${run.error.message}`)
  return { status: run.status, stdout: run.stdout, stderr: run.stderr.toString('utf8').trim() }
}

/** The CLI's JSON output of `args`, or `{ error }` naming the exit status and stderr. */
function cliJson(store, args) {
  const run = cli(store, [...args, '--json'])
  if (run.status !== 0) return { error: `exit ${run.status}: ${run.stderr}` }
  return JSON.parse(run.stdout.toString('utf8'))
}

/** The Python side: reads a JSON request on stdin, prints one JSON result per op. */
const PYTHON_BATCH = String.raw`
import base64, datetime, json, sys
import ironsecrets

req = json.load(sys.stdin)
store = req["store"]
if store["kind"] == "vault":
    client = ironsecrets.Client.open("vault", address=store["address"], token=store["token"], mount=store["mount"])
else:
    client = ironsecrets.Client.from_uri(store["uri"], master_key=store["master_key"], create=False)

def when(dt):
    assert dt.tzinfo is not None, "naive datetime"
    return dt.astimezone(datetime.timezone.utc).isoformat(timespec="microseconds")

def secret(s, fields):
    out = {"path": s.path, "version": s.version, "created_at": when(s.created_at),
           "b64": base64.b64encode(s.value.reveal()).decode()}
    if fields:
        out["fields"] = s.fields().reveal()
    return out

def run(op):
    kind = op["op"]
    if kind == "put":
        value = op["fields"] if "fields" in op else base64.b64decode(op["b64"])
        kwargs = {}
        if op.get("tags") is not None:
            kwargs["tags"] = op["tags"]
        if op.get("rotation") is not None:
            kwargs["rotation"] = ironsecrets.RotationPolicy.days(*op["rotation"])
        if op.get("cas") is not None:
            kwargs["cas"] = op["cas"]
        info = client.put(op["path"], value, **kwargs)
        return {"version": info.version, "created_at": when(info.created_at)}
    if kind == "get":
        s = client.get(op["path"]) if op.get("version") is None else client.get_version(op["path"], op["version"])
        return secret(s, op.get("fields", False))
    if kind == "metadata":
        m = client.metadata(op["path"])
        return {"current_version": m.current_version, "created_at": when(m.created_at),
                "updated_at": when(m.updated_at),
                "versions": [{"version": v.version, "state": v.state, "created_at": when(v.created_at)} for v in m.versions],
                "tags": m.tags,
                "rotation": None if m.rotation is None else {
                    "period": int(m.rotation.period.total_seconds()),
                    "remind_before": int(m.rotation.remind_before.total_seconds())}}
    raise ValueError("unknown op " + kind)

results = []
for op in req["ops"]:
    try:
        results.append(run(op))
    except ironsecrets.Error as e:
        results.append({"error": type(e).__name__, "message": str(e)})
json.dump(results, sys.stdout)
`

/** Runs `ops` in one Python process against `store`; one result per op. */
function python(store, ops) {
  const run = spawnSync(PYTHON, ['-c', PYTHON_BATCH], {
    env: childEnv(),
    input: JSON.stringify({ store: store.python, ops }),
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    timeout: 120_000,
  })
  if (run.error) throw new Error(`${PYTHON}: ${run.error.message}`)
  if (run.status !== 0) throw new Error(`the Python batch failed (exit ${run.status}): ${run.stderr}`)
  return JSON.parse(run.stdout)
}

// ---------------------------------------------------------------------------------
// One interface over the three languages: write, read, metadata.
// ---------------------------------------------------------------------------------

/** A result either holds the data or `{ error }`; reads normalise to this shape. */
function normalSecret(path, version, createdAt, bytes, fields) {
  return { path, version: String(version), createdMs: millis(createdAt), bytes, fields }
}

/** Milliseconds since the epoch of a Date or an RFC 3339 time (extra digits cut off). */
function millis(time) {
  if (time instanceof Date) return time.getTime()
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(time)
  assert.ok(m, `not an RFC 3339 time: ${time}`)
  return Date.parse(m[1] + m[3]) + Number((m[2] ?? '').padEnd(3, '0').slice(0, 3))
}

function normalMeta(meta) {
  return {
    currentVersion: String(meta.current_version ?? meta.currentVersion),
    createdMs: millis(meta.created_at ?? meta.createdAt),
    updatedMs: millis(meta.updated_at ?? meta.updatedAt),
    versions: meta.versions.map((v) => ({
      version: String(v.version),
      state: v.state,
      createdMs: millis(v.created_at ?? v.createdAt),
    })),
    tags: { ...meta.tags },
    rotation: meta.rotation == null
      ? null
      : { period: Number(meta.rotation.period), remindBefore: Number(meta.rotation.remind_before ?? meta.rotation.remindBefore) },
  }
}

const nodeFields = (value) =>
  Object.fromEntries(Object.entries(value.fields()).map(([k, v]) => [k, v.revealString()]))

/** Writes `spec` (one of `secretsOf`'s, or `{ path, bytes, cas }`) in `lang`: `{ version } | { error }`. */
async function write(store, lang, specs) {
  if (lang === 'python') {
    return python(store, specs.map((s) => ({
      op: 'put',
      path: s.path,
      ...(s.fields ? { fields: s.fields } : { b64: s.bytes.toString('base64') }),
      tags: s.tags ?? null,
      rotation: s.rotation ?? null,
      cas: s.cas ?? null,
    }))).map((r) => (r.error ? { error: `${r.error}: ${r.message}` } : { version: r.version }))
  }
  const out = []
  for (const s of specs) {
    if (lang === 'rust') {
      const args = ['put']
      for (const [k, v] of Object.entries(s.tags ?? {})) args.push('--tag', `${k}=${v}`)
      if (s.rotation) args.push('--rotate-days', String(s.rotation[0]), '--remind-days', String(s.rotation[1]))
      if (s.cas != null) args.push('--cas', String(s.cas))
      args.push(s.path)
      if (s.fields) args.push(...Object.entries(s.fields).map(([k, v]) => `${k}=${v}`))
      else args.push('-')
      const run = cli(store, args, s.fields ? undefined : s.bytes)
      out.push(run.status === 0 ? { version: run.stdout.toString('utf8').trim() } : { error: `exit ${run.status}: ${run.stderr}`, status: run.status })
    } else {
      try {
        const options = {}
        if (s.tags) options.tags = s.tags
        if (s.rotation) options.rotation = RotationPolicy.days(...s.rotation)
        if (s.cas != null) options.cas = s.cas
        const info = await store.node.put(s.path, s.fields ?? s.bytes, options)
        out.push({ version: String(info.version) })
      } catch (error) {
        out.push({ error: `${error.name}: ${error.message}`, instance: error })
      }
    }
  }
  return out
}

/**
 * Reads each of `reads` (`{ path, version?, fields? }`) in `lang`: the secret (and its
 * metadata when `meta`), normalised, or `{ error }`.
 */
async function read(store, lang, reads) {
  if (lang === 'python') {
    const ops = reads.flatMap((r) => [
      { op: 'get', path: r.path, version: r.version ?? null, fields: Boolean(r.fields) },
      { op: 'metadata', path: r.path },
    ])
    const results = python(store, ops)
    return reads.map((r, i) => {
      const [s, m] = [results[2 * i], results[2 * i + 1]]
      if (s.error) return { error: `${s.error}: ${s.message}` }
      return {
        secret: normalSecret(s.path, s.version, s.created_at, Buffer.from(s.b64, 'base64'), s.fields),
        meta: m.error ? { error: `${m.error}: ${m.message}` } : normalMeta(m),
      }
    })
  }
  const out = []
  for (const r of reads) {
    if (lang === 'rust') {
      const version = r.version == null ? [] : ['--version', String(r.version)]
      // The raw bytes `get` prints, and `get --json` for the version and time.
      const raw = cli(store, ['get', ...version, r.path])
      if (raw.status !== 0) {
        out.push({ error: `exit ${raw.status}: ${raw.stderr}` })
        continue
      }
      const json = cliJson(store, ['get', ...version, r.path])
      if (json.error) {
        out.push({ error: json.error })
        continue
      }
      const decoded = json.encoding === 'base64' ? Buffer.from(json.value, 'base64') : Buffer.from(json.value, 'utf8')
      assert.ok(decoded.equals(raw.stdout), `CLI: get and get --json disagree on ${r.path} (${hidden(raw.stdout)} vs ${hidden(decoded)})`)
      let fields
      if (r.fields) {
        fields = {}
        for (const key of Object.keys(r.fields)) {
          const one = cli(store, ['get', ...version, '--field', key, r.path])
          fields[key] = one.status === 0 ? one.stdout.toString('utf8') : `<error: exit ${one.status}: ${one.stderr}>`
        }
      }
      const meta = cliJson(store, ['metadata', r.path])
      out.push({
        secret: normalSecret(json.path, json.version, json.created_at, raw.stdout, fields),
        meta: meta.error ? meta : normalMeta(meta),
      })
    } else {
      try {
        const s = r.version == null ? await store.node.get(r.path) : await store.node.getVersion(r.path, r.version)
        const meta = await store.node.metadata(r.path)
        out.push({
          secret: normalSecret(s.path, s.version, s.createdAt, s.value.reveal(), r.fields ? nodeFields(s.value) : undefined),
          meta: normalMeta(meta),
        })
      } catch (error) {
        out.push({ error: `${error.name}: ${error.message}` })
      }
    }
  }
  return out
}

// ---------------------------------------------------------------------------------
// The stores.
// ---------------------------------------------------------------------------------

/** The shared OpenBao (KV v2), as each language reaches it. */
async function openbaoStore() {
  const { openbao } = await services()
  const address = new URL(openbao.address)
  const mount = openbao.kv_mount ?? 'secret'
  const query = new URLSearchParams({ tls: String(address.protocol === 'https:'), mount })
  return {
    name: 'openbao',
    cliUri: `vault://${address.host}?${query}`,
    cliEnv: { VAULT_TOKEN: openbao.token },
    python: { kind: 'vault', address: openbao.address, token: openbao.token, mount },
    node: await Client.open('vault', { address: openbao.address, token: openbao.token, mount }),
  }
}

/** A new embedded store file (created from Node with a cheap key derivation). */
async function localStore() {
  const dir = mkdtempSync(join(tmpdir(), 'ironsecrets-cross-language-'))
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }))
  const uri = 'local://' + join(dir, 'shared.db')
  const node = await Client.fromUri(uri, {
    master_key: MASTER_KEY,
    create: true,
    kdf_memory_kib: 1024,
    kdf_iterations: 1,
    kdf_parallelism: 1,
  })
  return {
    name: 'local',
    cliUri: uri,
    cliEnv: { IRONSECRETS_MASTER_KEY: MASTER_KEY },
    python: { kind: 'local', uri, master_key: MASTER_KEY },
    node,
  }
}

// ---------------------------------------------------------------------------------
// The tests.
// ---------------------------------------------------------------------------------

const KINDS = ['text', 'binary', 'empty', 'map']

/** `{ path }` readable by everyone: what to ask for when reading `spec`. */
const readOf = (spec) => ({ path: spec.path, fields: spec.fields })

for (const [backend, open] of [['openbao', openbaoStore], ['local', localStore]]) {
  describe(`one ${backend} store, three languages`, () => {
    let store
    /** `written[lang][kind]`: what `lang`'s put returned. */
    const written = {}
    /** `seen[reader][writer][kind]`: what `reader` read of `writer`'s secret. */
    const seen = {}

    before(async () => {
      store = await open()
      for (const lang of LANGS) {
        const specs = secretsOf(lang)
        const results = await write(store, lang, KINDS.map((k) => specs[k]))
        written[lang] = Object.fromEntries(KINDS.map((k, i) => [k, results[i]]))
      }
      for (const reader of LANGS) {
        const writers = LANGS.filter((w) => w !== reader)
        const reads = writers.flatMap((w) => KINDS.map((k) => readOf(secretsOf(w)[k])))
        const results = await read(store, reader, reads)
        seen[reader] = {}
        writers.forEach((w, i) => {
          seen[reader][w] = Object.fromEntries(KINDS.map((k, j) => [k, results[i * KINDS.length + j]]))
        })
      }
    })

    for (const writer of LANGS) {
      test(`${writer} writes`, () => {
        for (const kind of KINDS) {
          const result = written[writer][kind]
          assert.ok(!result.error, `${writer} put ${kind}: ${result.error}`)
          assert.equal(result.version, '1', `${writer} put ${kind}: version`)
        }
      })

      for (const reader of LANGS.filter((l) => l !== writer)) {
        test(`${reader} reads what ${writer} wrote`, () => {
          const specs = secretsOf(writer)
          for (const kind of KINDS) {
            const spec = specs[kind]
            const got = seen[reader][writer][kind]
            const step = `${reader} reading ${writer}'s ${kind} (${spec.path})`
            assert.ok(!got.error, `${step}: ${got.error}`)
            const { secret, meta } = got
            assert.equal(secret.path, spec.path, `${step}: path`)
            assert.equal(secret.version, written[writer][kind].version, `${step}: version`)
            if (spec.fields) {
              assert.deepEqual(secret.fields, spec.fields, `${step}: fields`)
            } else {
              assert.ok(secret.bytes.equals(spec.bytes), `${step}: value differs (${hidden(secret.bytes)}, wrote ${hidden(spec.bytes)})`)
            }
            assert.ok(!meta.error, `${step}: metadata: ${meta.error}`)
            assert.equal(meta.currentVersion, secret.version, `${step}: metadata current version`)
            assert.deepEqual(meta.versions.map((v) => [v.version, v.state]), [['1', 'active']], `${step}: versions`)
            assert.equal(meta.versions[0].createdMs, secret.createdMs, `${step}: version 1 created_at vs get's`)
            assert.deepEqual(meta.tags, spec.tags ?? {}, `${step}: tags`)
            assert.deepEqual(
              meta.rotation,
              spec.rotation ? { period: spec.rotation[0] * DAY, remindBefore: spec.rotation[1] * DAY } : null,
              `${step}: rotation policy`,
            )
          }
        })
      }
    }

    test('the map secrets are the same bytes whichever language wrote them', () => {
      // A key/value secret is stored as one encoding of its fields; all three must
      // produce the same one (read here by Node, from Rust's and Python's, and by Rust
      // from Node's).
      const map = (reader, writer) => seen[reader][writer].map.secret?.bytes
      const fromRust = map('node', 'rust')
      const fromPython = map('node', 'python')
      const fromNode = map('rust', 'node')
      assert.ok(fromRust && fromPython && fromNode, 'a map read failed (see the tests above)')
      const text = (b, lang) => b.toString('utf8').replaceAll(`app-${lang}`, 'app-X').replaceAll(` ${lang} `, ' X ')
      assert.equal(text(fromPython, 'python'), text(fromRust, 'rust'), 'Python and Rust encode the same fields differently')
      assert.equal(text(fromNode, 'node'), text(fromRust, 'rust'), 'Node and Rust encode the same fields differently')
    })

    test('all three see the same creation times (to the millisecond)', () => {
      for (const writer of LANGS) {
        for (const kind of KINDS) {
          const times = LANGS.filter((r) => r !== writer).map((r) => [r, seen[r][writer][kind].secret?.createdMs])
          assert.ok(times.every(([, t]) => Number.isFinite(t)), `${writer}'s ${kind}: a read failed`)
          assert.equal(times[0][1], times[1][1], `${writer}'s ${kind}: ${times[0][0]} and ${times[1][0]} disagree on created_at`)
        }
      }
    })

    test('a second version by another language: versions and check-and-set agree', async () => {
      // NEXT[owner] writes version 2 of owner's text secret with cas=1.
      for (const owner of LANGS) {
        const spec = secretsOf(owner).text
        const [result] = await write(store, NEXT[owner], [{ path: spec.path, bytes: secondText(owner), cas: 1 }])
        assert.ok(!result.error, `${NEXT[owner]} put v2 of ${owner}'s text with cas=1: ${result.error}`)
        assert.equal(result.version, '2', `${NEXT[owner]} put v2 of ${owner}'s text: version`)
      }
      // The third language's stale cas=1 is a Conflict, in its own terms.
      for (const owner of LANGS) {
        const third = NEXT[NEXT[owner]]
        const path = secretsOf(owner).text.path
        const [result] = await write(store, third, [{ path, bytes: Buffer.from('stale'), cas: 1 }])
        const step = `${third} put with stale cas=1 on ${owner}'s text`
        assert.ok(result.error, `${step}: succeeded (version ${result.version})`)
        if (third === 'rust') assert.equal(result.status, 5, `${step}: exit status (5 = Conflict): ${result.error}`)
        if (third === 'python') assert.match(result.error, /^ConflictError:/, step)
        if (third === 'node') assert.ok(result.instance instanceof ConflictError, `${step}: ${result.error}`)
      }
      // Everyone reads version 2 as the newest and version 1 on request.
      const reads = LANGS.flatMap((owner) => {
        const path = secretsOf(owner).text.path
        return [{ path }, { path, version: 1 }]
      })
      const byReader = {}
      for (const reader of LANGS) byReader[reader] = await read(store, reader, reads)
      LANGS.forEach((owner, i) => {
        const spec = secretsOf(owner).text
        for (const reader of LANGS) {
          const [latest, first] = [byReader[reader][2 * i], byReader[reader][2 * i + 1]]
          const step = `${reader} reading ${owner}'s text after ${NEXT[owner]}'s v2`
          assert.ok(!latest.error, `${step}: ${latest.error}`)
          assert.ok(!first.error, `${step}, version 1: ${first.error}`)
          assert.equal(latest.secret.version, '2', `${step}: newest version`)
          assert.ok(latest.secret.bytes.equals(secondText(owner)), `${step}: v2 value differs (${hidden(latest.secret.bytes)})`)
          assert.equal(first.secret.version, '1', `${step}: version 1's number`)
          assert.ok(first.secret.bytes.equals(spec.bytes), `${step}: v1 value differs (${hidden(first.secret.bytes)})`)
          const meta = latest.meta
          assert.ok(!meta.error, `${step}: metadata: ${meta.error}`)
          assert.equal(meta.currentVersion, '2', `${step}: current version`)
          assert.deepEqual(meta.versions.map((v) => [v.version, v.state]), [['1', 'active'], ['2', 'active']], `${step}: versions`)
          // Version 2 was written without tags or rotation policy: whatever that leaves,
          // all three must see the same metadata (compared with Node's view).
          const nodeMeta = byReader.node[2 * i].meta
          assert.deepEqual(meta.tags, nodeMeta.tags, `${step}: tags differ from Node's view`)
          assert.deepEqual(meta.rotation, nodeMeta.rotation, `${step}: rotation differs from Node's view`)
          assert.deepEqual(meta.versions, nodeMeta.versions, `${step}: versions (with times) differ from Node's view`)
          assert.equal(meta.createdMs, nodeMeta.createdMs, `${step}: created_at differs from Node's view`)
          assert.equal(meta.updatedMs, nodeMeta.updatedMs, `${step}: updated_at differs from Node's view`)
        }
      })
    })
  })
}

describe('conformance check lists', () => {
  const PYTHON_LIST = String.raw`
import json, sys
sys.path.insert(0, sys.argv[1])
import test_conformance
json.dump([[c.name, getattr(c, "requires", None)] for c in test_conformance.CHECKS], sys.stdout)
`

  function pythonChecks() {
    const run = spawnSync(PYTHON, ['-c', PYTHON_LIST, PYTHON_TESTS], { env: childEnv(), encoding: 'utf8', timeout: 120_000 })
    if (run.error) throw new Error(`${PYTHON}: ${run.error.message}`)
    if (run.status !== 0) {
      throw new Error(`listing the Python checks failed (exit ${run.status}; test_conformance needs pytest in that interpreter): ${run.stderr}`)
    }
    return JSON.parse(run.stdout).map(([name, requires]) => ({ name, requires: requires ?? null }))
  }

  async function nodeChecks() {
    const { CHECKS } = await import(pathToFileURL(NODE_CHECKS).href)
    assert.ok(Array.isArray(CHECKS), `${NODE_CHECKS} exports no CHECKS list`)
    return CHECKS.map(({ name, requires }) => ({ name, requires: requires ?? null }))
  }

  test('Rust, Python and Node run the same checks in the same order, with the same requirements', async () => {
    const rust = rustChecks()
    const python = pythonChecks()
    const node = await nodeChecks()
    assert.ok(rust.length > 0, 'ironsecrets-testkit-serve checks listed nothing')
    const names = (list) => list.map((c) => c.name)
    const n = Math.max(rust.length, python.length, node.length)
    for (let i = 0; i < n; i++) {
      const [r, p, j] = [rust[i], python[i], node[i]]
      const at = `check #${i + 1}`
      assert.equal(p?.name, r?.name, `${at}: Python has ${p?.name ?? 'nothing'}, Rust ${r?.name ?? 'nothing'}`)
      assert.equal(j?.name, r?.name, `${at}: Node has ${j?.name ?? 'nothing'}, Rust ${r?.name ?? 'nothing'}`)
      assert.equal(p.requires, r.requires, `${r.name}: Python requires ${p.requires}, Rust ${r.requires}`)
      assert.equal(j.requires, r.requires, `${r.name}: Node requires ${j.requires}, Rust ${r.requires}`)
    }
    assert.deepEqual(names(python), names(rust))
    assert.deepEqual(names(node), names(rust))
  })
})
