// A rotating pg.Pool (ironsecrets/pg) under load: 4 async workers query while OpenBao's
// short database role rotates three times (about every 10 s); no query fails, and every
// old lease is revoked once its connections are closed.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'

import pg from 'pg'

import { Client, CredentialRequest, LeaseManager } from 'ironsecrets'
import { createPool } from 'ironsecrets/pg'
import { services } from './services.mjs'

const WORKERS = 4
const ROTATIONS = 3
const MIN_RATE = 100

let env
let manager

before(async () => {
  env = await services()
  const client = await Client.open('vault', { address: env.openbao.address, token: env.openbao.token })
  // The pool decides when an old lease goes (once drained), not the manager.
  manager = new LeaseManager(client, { revokeOldAfter: 600 })
})

after(async () => {
  await manager?.shutdown({ revoke: true })
})

async function canLogIn(username, password) {
  const { host, port, database } = env.postgres
  const client = new pg.Client({ host, port, database, user: username, password, connectionTimeoutMillis: 5000 })
  try {
    await client.connect()
    await client.end()
    return true
  } catch {
    return false
  }
}

test('a pg.Pool keeps serving through three rotations with no failed query', async (t) => {
  const { mount, role, max_ttl: maxTtl } = env.database
  const lease = await manager.manage('pg-pool', CredentialRequest.database(mount, role))
  const { host, port, database } = env.postgres
  const pool = createPool(lease, { host, port, database, max: 8 }, { revokeMargin: 0.5 })
  const failures = []
  const counts = new Array(WORKERS).fill(0)
  const users = new Set()
  const credentials = new Map()
  let running = true

  const worker = async (i) => {
    while (running) {
      try {
        const { rows } = await pool.query('select current_user as user')
        counts[i] += 1
        users.add(rows[0].user)
      } catch (error) {
        failures.push(`${error.name}: ${String(error.message).slice(0, 300)}`)
      }
    }
  }
  const watchCredentials = async () => {
    while (running) {
      const { data } = lease.current()
      const username = data.username.revealString()
      if (!credentials.has(username)) credentials.set(username, data.password.revealString())
      await sleep(50)
    }
  }

  const started = performance.now()
  const work = [...counts.keys()].map(worker)
  const watching = watchCredentials()
  try {
    const limit = Date.now() + (ROTATIONS * maxTtl + 30) * 1000
    while (pool.stats().generation < ROTATIONS) {
      assert.ok(Date.now() < limit, `only ${pool.stats().generation} rotations in time`)
      assert.deepEqual(failures.slice(0, 5), [], 'queries failed')
      await sleep(200)
    }
    // The last old generation drains (and is revoked) right after its rotation.
    const drainLimit = Date.now() + 15_000
    while (Date.now() < drainLimit) {
      const stats = pool.stats()
      if (stats.revokedDrained + stats.revokedAtDeadline >= ROTATIONS) break
      await sleep(200)
    }
  } finally {
    running = false
    await Promise.all([...work, watching])
  }
  const elapsed = (performance.now() - started) / 1000
  const stats = pool.stats()
  const currentUser = lease.current().data.username.revealString()
  await pool.end()

  const total = counts.reduce((a, b) => a + b, 0)
  t.diagnostic(`${total} queries in ${elapsed.toFixed(1)} s (${(total / elapsed).toFixed(0)}/s), ${failures.length} failed, ${users.size} users`)
  assert.equal(failures.length, 0, `${failures.length} queries failed, e.g. ${failures.slice(0, 5)}`)
  assert.ok(total / elapsed >= MIN_RATE, `${total} queries in ${elapsed.toFixed(1)} s`)
  assert.ok(counts.every((count) => count > 0), `a worker never ran a query: ${counts}`)
  assert.ok(stats.generation >= ROTATIONS)
  assert.ok(users.size >= ROTATIONS, `the queries ran as ${users.size} users only`)
  assert.ok(stats.revokedDrained >= ROTATIONS, `revoked once drained: ${stats.revokedDrained}`)
  assert.equal(stats.revokedAtDeadline, 0, 'an old lease was revoked with connections still open')
  assert.equal(stats.revokeFailures, 0)
  assert.ok(stats.opened >= ROTATIONS && stats.retired >= ROTATIONS)
  const old = [...credentials].filter(([username]) => username !== currentUser)
  assert.ok(old.length >= ROTATIONS - 1, `saw ${old.length} old credentials`)
  const deadline = Date.now() + 10_000
  for (const [username, password] of old) {
    while (await canLogIn(username, password)) {
      assert.ok(Date.now() < deadline, 'an old credential still logs in after draining')
      await sleep(200)
    }
  }
  await lease.stop({ revoke: true })
})

test('the pool refuses a user or password of its own', async () => {
  const { mount, long_role: longRole } = env.database
  const lease = await manager.manage('pg-config', CredentialRequest.database(mount, longRole))
  assert.throws(() => createPool(lease, { user: 'postgres' }), {
    name: 'TypeError',
    message: /lease supplies user and password/,
  })
  await lease.stop({ revoke: true })
})

test('a pool used after end() fails clearly', async () => {
  const { mount, long_role: longRole } = env.database
  const lease = await manager.manage('pg-ended', CredentialRequest.database(mount, longRole))
  const { host, port, database } = env.postgres
  const pool = createPool(lease, { host, port, database, max: 2 })
  assert.equal((await pool.query('select 1 as one')).rows[0].one, 1)
  await pool.end()
  assert.throws(() => pool.query('select 1'), /Cannot use a pool after calling end/)
  await lease.stop({ revoke: true })
})
