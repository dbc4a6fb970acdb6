// LeaseManager, ManagedLease and Generations on OpenBao's short database role (default
// ttl 6 s, max ttl 12 s: the manager replaces the credential about every 10 s).
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'

import pg from 'pg'

import { Client, ConflictError, CredentialRequest, Generations, LeaseManager, ManagedLease } from 'ironsecrets'
import { services, tempDir } from './services.mjs'

let env
let client
let manager

before(async () => {
  env = await services()
  client = await Client.open('vault', { address: env.openbao.address, token: env.openbao.token })
  manager = new LeaseManager(client, { revokeOldAfter: 600, backoffInitial: 0.2 })
})

after(async () => {
  await manager?.shutdown({ revoke: true })
})

const shortRequest = () => CredentialRequest.database(env.database.mount, env.database.role)
const longRequest = () => CredentialRequest.database(env.database.mount, env.database.long_role)
const username = (credential) => credential.data.username.revealString()

async function canLogIn(credential) {
  const { host, port, database } = env.postgres
  const connection = new pg.Client({
    host,
    port,
    database,
    user: credential.data.username.revealString(),
    password: credential.data.password.revealString(),
    connectionTimeoutMillis: 5000,
  })
  try {
    await connection.connect()
    await connection.query('select 1')
    await connection.end()
    return true
  } catch {
    return false
  }
}

async function waitUntilRefused(credential, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs
  while (await canLogIn(credential)) {
    assert.ok(Date.now() < deadline, 'the old credential still logs in')
    await sleep(200)
  }
}

test('changed() resolves with the next credential', async () => {
  const lease = await manager.manage('node-changed', shortRequest())
  assert.ok(lease instanceof ManagedLease)
  assert.equal(lease.name, 'node-changed')
  const first = lease.current()
  assert.equal(lease.lease().id, first.lease.id)
  assert.ok(first.lease.ttl <= env.database.ttl + 1)
  assert.ok(first.lease.expiresAt instanceof Date)
  const started = Date.now()
  const next = await lease.changed({ signal: AbortSignal.timeout(30_000) })
  assert.ok(next, 'the lease stopped instead of rotating')
  assert.ok(Date.now() - started < (env.database.max_ttl + 5) * 1000)
  assert.notEqual(username(next), username(first))
  assert.notEqual(next.lease.id, first.lease.id)
  assert.equal(username(lease.current()), username(next))
  await lease.stop()
})

test('changed() rejects with the signal reason when aborted', async () => {
  const lease = await manager.manage('node-long', longRequest())
  const started = Date.now()
  await assert.rejects(lease.changed({ signal: AbortSignal.timeout(300) }), { name: 'TimeoutError' })
  assert.ok(Date.now() - started < 3000)
  await lease.stop()
})

test('the manager emits rotated events; lease and manager streams carry them', async () => {
  const lease = await manager.manage('node-events', shortRequest())
  const first = lease.current()
  const emitted = []
  const onRotated = (event) => emitted.push(event)
  manager.on('rotated', onRotated)
  const events = lease.events()
  const all = manager.events()
  const signal = AbortSignal.timeout(30_000)
  const seen = []
  let rotated
  while (!rotated) {
    const event = await events.next({ signal })
    assert.ok(event, `the stream ended before a rotation (saw ${seen})`)
    seen.push(event.kind)
    assert.equal(event.name, 'node-events')
    if (event.kind === 'rotated') rotated = event
  }
  manager.off('rotated', onRotated)
  assert.notEqual(rotated.lease.id, first.lease.id)
  assert.ok(emitted.some((event) => event.name === 'node-events' && event.lease.id === rotated.lease.id))
  let fromAll
  while (!fromAll) {
    const event = await all.next({ signal })
    if (event?.kind === 'rotated' && event.lease.id === rotated.lease.id) fromAll = event
  }
  await lease.stop()
  const rest = []
  for await (const event of events) rest.push(event.kind)
  assert.equal(rest.at(-1), 'revoked', `the lease's stream ends with its revocation: ${rest}`)
})

test('rotate() issues a new credential now; stop() revokes it', async () => {
  const lease = await manager.manage('node-rotate', longRequest())
  const first = lease.current()
  assert.ok(await canLogIn(first))
  const next = lease.changed({ signal: AbortSignal.timeout(15_000) })
  lease.rotate()
  const second = await next
  assert.notEqual(username(second), username(first))
  assert.ok(await canLogIn(second))
  const revoked = []
  const onRevoked = (event) => revoked.push(event.leaseId)
  manager.on('revoked', onRevoked)
  await lease.stop({ revoke: true })
  await waitUntilRefused(second)
  manager.off('revoked', onRevoked)
  assert.ok(revoked.includes(second.lease.id), 'no revoked event for the stopped lease')
  assert.equal(await lease.changed(), null, 'a stopped lease has no next credential')
})

test('Generations number credentials and refuse a stale ticket', async () => {
  const lease = await manager.manage('node-generations', longRequest())
  const generations = new Generations(lease, { revokeMargin: 0.1 })
  const current = generations.current()
  assert.equal(current.number, 0)
  assert.equal(generations.generation, 0)
  assert.equal(username(current.credential), username(lease.current()))
  const ticket = generations.open(0)
  assert.equal(ticket.generation, 0)
  assert.equal(ticket.isStale(), false)
  // onChange never keeps the process alive: the test waits on the lease instead.
  const changes = []
  generations.onChange((generation) => changes.push(generation))
  const rotated = lease.changed({ signal: AbortSignal.timeout(15_000) })
  lease.rotate()
  const credential = await rotated
  const deadline = Date.now() + 5000
  while (changes.length === 0) {
    assert.ok(Date.now() < deadline, 'onChange was not called')
    await sleep(20)
  }
  assert.equal(changes[0].number, 1)
  assert.equal(username(changes[0].credential), username(credential))
  assert.equal(generations.generation, 1)
  assert.equal(ticket.isStale(), true)
  assert.throws(() => generations.open(0), ConflictError)
  assert.equal(generations.draining(), true)
  const drained = generations.drained({ signal: AbortSignal.timeout(15_000) })
  ticket.close()
  const report = await drained
  assert.deepEqual({ ...report }, { generation: 0, atDeadline: false, revoked: true })
  await waitUntilRefused(current.credential)
  const stats = generations.stats()
  assert.equal(stats.generation, 1)
  assert.equal(stats.revokedDrained, 1)
  assert.equal(stats.refusedStale, 1)
  generations.close()
  await lease.stop()
})

test('the process exits on its own with a LeaseManager left unreferenced', () => {
  const script = join(tempDir(), 'left-running.mjs')
  writeFileSync(
    script,
    `import { Client, CredentialRequest, LeaseManager } from ${JSON.stringify(import.meta.resolve('ironsecrets'))}
const client = await Client.open('vault', { address: ${JSON.stringify(env.openbao.address)}, token: ${JSON.stringify(env.openbao.token)} })
const manager = new LeaseManager(client)
manager.on('renewed', () => {})
const lease = await manager.manage('left-running', CredentialRequest.database(${JSON.stringify(env.database.mount)}, ${JSON.stringify(env.database.role)}))
console.log(lease.current().lease.id ? 'managed' : 'no lease')
`,
  )
  const run = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 20_000 })
  assert.equal(run.error, undefined, `the process did not exit on its own: ${run.error}`)
  assert.equal(run.status, 0, run.stderr)
  assert.equal(run.stdout.trim(), 'managed')
})
