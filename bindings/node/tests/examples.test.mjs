// The examples in examples/node, run as a user runs them. Each is copied next to this
// package (so `import 'ironsecrets'` finds it: the source tree or the installed tarball)
// and started with `node`.
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { after, test } from 'node:test'
import { fileURLToPath } from 'node:url'

import { REPO, services } from './services.mjs'

const EXAMPLES = process.env.IRONSECRETS_NODE_EXAMPLES ?? join(REPO, 'examples', 'node')
const RUN = fileURLToPath(new URL('../.examples-run/', import.meta.url))

after(() => rmSync(RUN, { recursive: true, force: true }))

/** The example `name`, copied where it resolves this package. */
function example(name) {
  mkdirSync(RUN, { recursive: true })
  const copy = join(RUN, name)
  copyFileSync(join(EXAMPLES, name), copy)
  return copy
}

function withoutMasterKey() {
  const env = { ...process.env }
  delete env.IRONSECRETS_MASTER_KEY
  return env
}

test('the quickstart runs without a server', () => {
  const run = spawnSync(process.execPath, [example('quickstart.mjs')], {
    encoding: 'utf8',
    env: withoutMasterKey(),
    timeout: 120_000,
  })
  assert.equal(run.status, 0, run.stdout + run.stderr)
  const out = run.stdout
  assert.match(out, /using a throw-away demo key/)
  assert.match(out, /app\/db username = app/)
  assert.match(out, /REDACTED/)
  assert.ok(!out.includes('first-password') && !out.includes('second-password'), 'a password was printed')
  assert.match(out, /rotated app\/db to version 2; version 1 is still readable/)
  assert.match(out, /decrypts to 19 bytes/)
  assert.match(out, /rotation status:/)
  assert.match(out, /app\/api-key/)
})

test('the quickstart uses the master key from the environment', () => {
  const key = 'a master key from the environment'
  const run = spawnSync(process.execPath, [example('quickstart.mjs')], {
    encoding: 'utf8',
    env: { ...process.env, IRONSECRETS_MASTER_KEY: key },
    timeout: 120_000,
  })
  assert.equal(run.status, 0, run.stdout + run.stderr)
  assert.ok(!run.stdout.includes('demo key'))
  assert.ok(!run.stdout.includes(key))
})

test('the rotating service serves every request across rotations', async () => {
  const { openbao, postgres, database } = await services()
  const child = spawn(process.execPath, [example('rotating_service.mjs')], {
    env: {
      ...withoutMasterKey(),
      VAULT_ADDR: openbao.address,
      VAULT_TOKEN: openbao.token,
      DB_MOUNT: database.mount,
      DB_ROLE: database.role,
      PG_HOST: postgres.host,
      PG_PORT: String(postgres.port),
      PG_DATABASE: postgres.database,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let err = ''
  child.stderr.on('data', (chunk) => {
    err += chunk
  })
  const lines = createInterface({ input: child.stdout })
  const output = []
  const first = await new Promise((resolve) => {
    lines.once('line', resolve)
    child.once('exit', () => resolve(null))
  })
  assert.ok(first?.startsWith('listening on '), `the service did not start: ${first}\n${err}`)
  lines.on('line', (line) => output.push(line))
  const url = first.slice('listening on '.length)
  const users = new Set()
  const failures = []
  let requests = 0
  const until = Date.now() + (database.max_ttl + 4) * 1000
  while (Date.now() < until) {
    try {
      const response = await fetch(url)
      const body = await response.text()
      if (response.ok) users.add(body)
      else failures.push(`${response.status}: ${body}`)
    } catch (error) {
      failures.push(String(error))
    }
    requests += 1
  }
  const stats = await (await fetch(`${url}/stats`)).json()
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  const code = await exited
  assert.ok(requests >= 100, `only ${requests} requests`)
  assert.deepEqual(failures.slice(0, 5), [], `${failures.length} of ${requests} requests failed\n${err}`)
  assert.ok(stats.generation >= 1, JSON.stringify(stats))
  assert.ok(users.size >= 2, `the service answered as ${[...users]} only (no rotation seen)`)
  assert.equal(code, 0, err)
  assert.ok(output.some((line) => line.startsWith('served ')), output.join('\n'))
  assert.ok(!(output.join('\n') + err).includes(openbao.token), 'the token was printed')
})
