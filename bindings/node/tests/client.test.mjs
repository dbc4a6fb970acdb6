// The Promise API itself: many calls in flight, AbortSignal, both module systems.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { before, test } from 'node:test'

import * as esm from 'ironsecrets'
import { Client, NotFoundError } from 'ironsecrets'
import { localOptions, services, tempDir } from './services.mjs'

const require = createRequire(import.meta.url)

let local
let openbao

before(async () => {
  local = await Client.fromUri(`local://${join(tempDir(), 'store.db')}`, localOptions())
  const { address, token, kv_mount: mount } = (await services()).openbao
  openbao = await Client.open('vault', { address, token, mount })
})

for (const backend of ['local', 'openbao']) {
  test(`200 concurrent promises on ${backend} all settle with their own values`, async () => {
    const client = backend === 'local' ? local : openbao
    const prefix = `node-concurrent-${process.pid}`
    const written = await Promise.all(
      Array.from({ length: 200 }, (_, i) => client.put(`${prefix}/s${i}`, `value-${i}`)),
    )
    assert.equal(written.length, 200)
    const read = await Promise.all(Array.from({ length: 200 }, (_, i) => client.get(`${prefix}/s${i}`)))
    read.forEach((secret, i) => {
      assert.equal(secret.path, `${prefix}/s${i}`)
      assert.equal(secret.value.revealString(), `value-${i}`)
    })
    const missing = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) => client.get(`${prefix}/missing${i}`)),
    )
    assert.ok(missing.every((result) => result.status === 'rejected' && result.reason instanceof NotFoundError))
  })
}

test('an aborted signal rejects with its reason and does nothing', async () => {
  const controller = new AbortController()
  controller.abort()
  await assert.rejects(local.put('node-abort/never', 'x', { signal: controller.signal }), { name: 'AbortError' })
  await assert.rejects(local.get('node-abort/never'), NotFoundError)
  const reason = new Error('changed my mind')
  await assert.rejects(local.list('', { signal: AbortSignal.abort(reason) }), (error) => error === reason)
})

test('aborting ends a request the server never answers', async () => {
  const sockets = []
  const server = createServer((socket) => sockets.push(socket))
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const connected = new Promise((resolve) => server.once('connection', resolve))
  const address = `http://127.0.0.1:${server.address().port}`
  const silent = (await Client.open('vault', { address, token: 'unused' })).withRetry({ maxAttempts: 1 })
  const controller = new AbortController()
  const read = silent.get('hangs', { signal: controller.signal })
  await connected // the request is under way, and will never be answered
  controller.abort()
  await assert.rejects(read, { name: 'AbortError' })
  for (const socket of sockets) socket.destroy()
  server.close()
})

test('a call that finishes before the abort resolves', async () => {
  const controller = new AbortController()
  await local.put('node-abort/done', 'x')
  const secret = await local.get('node-abort/done', { signal: controller.signal })
  controller.abort()
  assert.equal(secret.value.revealString(), 'x')
})

test('CommonJS and ES modules load the same addon', () => {
  const cjs = require('ironsecrets')
  assert.equal(cjs.Client, esm.Client)
  assert.equal(cjs.SecretValue, esm.SecretValue)
  assert.equal(cjs.NotFoundError, esm.NotFoundError)
  assert.deepEqual(Object.keys(esm).filter((name) => name !== 'default').sort(), Object.keys(cjs).sort())
  assert.equal(esm.default, cjs)
  const pgCjs = require('ironsecrets/pg')
  assert.equal(pgCjs.createPool.name, 'createPool')
})

test('a client opened from the environment uses $IRONSECRETS_STORE', async () => {
  const path = join(tempDir(), 'env.db')
  const seeded = await Client.fromUri(`local://${path}`, localOptions())
  await seeded.put('from/env', 'yes')
  const script = `const { Client } = require(${JSON.stringify(require.resolve('ironsecrets'))})
Client.fromEnv().then((client) => client.get('from/env')).then((secret) => console.log(secret.value.revealString()))`
  const run = spawnSync(process.execPath, ['-e', script], {
    encoding: 'utf8',
    env: { ...process.env, IRONSECRETS_STORE: `local://${path}`, IRONSECRETS_MASTER_KEY: localOptions().master_key },
  })
  assert.equal(run.status, 0, run.stderr)
  assert.equal(run.stdout.trim(), 'yes')
})
