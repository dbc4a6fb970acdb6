// The real services the tests use (OpenBao, PostgreSQL and OpenBao's database engine on
// it), as the Rust test kit's `ironsecrets-testkit-serve services openbao postgres`
// describes them: `{ openbao, postgres, database }`.
//
// `cargo xtask node` starts them once for the whole run and names the file with their
// description in $IRONSECRETS_SERVICES; a test file run on its own starts its own (the
// binary is $IRONSECRETS_TESTKIT_SERVE, else <target>/debug/ironsecrets-testkit-serve,
// which `cargo test --workspace` builds) and stops them when the process exits.
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { inspect } from 'node:util'

/** The repository root (this file is bindings/node/tests/services.mjs). */
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')

/** The master key of the embedded stores the tests create. */
export const MASTER_KEY = 'correct horse battery staple for tests'

/** How long the services may take to start. */
const START_TIMEOUT_MS = 120_000

/** Where `ironsecrets-testkit-serve` is. */
export function serveBinary() {
  if (process.env.IRONSECRETS_TESTKIT_SERVE) return process.env.IRONSECRETS_TESTKIT_SERVE
  const target = process.env.CARGO_TARGET_DIR ?? join(REPO, 'target')
  return join(target, 'debug', 'ironsecrets-testkit-serve')
}

function binary() {
  const path = serveBinary()
  if (!existsSync(path)) {
    throw new Error(
      `${path} does not exist: build it with \`cargo build -p ironsecrets-testkit --bin ` +
        'ironsecrets-testkit-serve` (or `cargo test --workspace`), or point ' +
        'IRONSECRETS_TESTKIT_SERVE at it',
    )
  }
  return path
}

/** The Rust conformance checks: `[{ name, requires }]`, in order. */
export function rustChecks() {
  const run = spawnSync(binary(), ['checks'], { encoding: 'utf8' })
  if (run.status !== 0) throw new Error(`ironsecrets-testkit-serve checks failed: ${run.stderr}`)
  return run.stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [name, requires = ''] = line.split('\t')
      return { name: name.trim(), requires: requires.trim() || null }
    })
}

let started

/** The running services (started on first use when $IRONSECRETS_SERVICES is not set). */
export function services() {
  if (process.env.IRONSECRETS_SERVICES) {
    return Promise.resolve(JSON.parse(readFileSync(process.env.IRONSECRETS_SERVICES, 'utf8')))
  }
  started ??= start()
  return started
}

function start() {
  const dir = mkdtempSync(join(tmpdir(), 'ironsecrets-node-services-'))
  const child = spawn(binary(), ['services', 'openbao', 'postgres'], {
    cwd: dir,
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  // Closing stdin stops the services; the pipe closes when this process exits.
  child.unref()
  child.stdout.unref?.()
  process.on('exit', () => {
    child.stdin.end()
    rmSync(dir, { recursive: true, force: true })
  })
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      child.kill()
      reject(new Error(`ironsecrets-testkit-serve printed nothing within ${START_TIMEOUT_MS} ms`))
    }, START_TIMEOUT_MS)
    const lines = createInterface({ input: child.stdout })
    lines.once('line', (line) => {
      clearTimeout(timer)
      lines.close()
      try {
        resolvePromise(JSON.parse(line))
      } catch (error) {
        reject(new Error(`ironsecrets-testkit-serve printed no JSON (${error.message})`))
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`ironsecrets-testkit-serve exited (status ${code}) before describing the services`))
    })
  })
}

/** The options of a fresh embedded store at `path` (cheap key derivation: it is a test). */
export function localOptions() {
  return {
    master_key: MASTER_KEY,
    create: true,
    kdf_memory_kib: 1024,
    kdf_iterations: 1,
    kdf_parallelism: 1,
  }
}

/** A fresh directory, removed when the process exits. */
export function tempDir() {
  const dir = mkdtempSync(join(tmpdir(), 'ironsecrets-node-test-'))
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Awaits `call()` and returns what it rejected with (or threw); fails if it succeeded. */
export async function caught(call) {
  let value
  try {
    value = await call()
  } catch (error) {
    return error
  }
  assert.fail(`expected a rejection, got ${inspect(value)}`)
}

/** A fresh name, so reruns against the same server never collide. */
export function uniqueName(label) {
  return `node-${label}-${randomBytes(4).toString('hex')}`
}
