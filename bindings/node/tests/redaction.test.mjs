// Redaction (the port of bindings/python/tests/test_redaction.py): a canary planted as a
// secret (put, transit decrypt, data keys, leased credentials, logins, option values)
// never shows in util.inspect, console output, String(), template literals,
// JSON.stringify, warnings, serialisation, error messages or stacks; reveal() and
// revealString() return it.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { format, inspect } from 'node:util'
import v8 from 'node:v8'

import { Client, CredentialRequest, ConflictError, IronsecretsError, SecretValue } from 'ironsecrets'
import { caught, localOptions, MASTER_KEY, services, tempDir } from './services.mjs'

const INDEX = fileURLToPath(import.meta.resolve('ironsecrets'))
const SERVICES = fileURLToPath(new URL('./services.mjs', import.meta.url))

function newCanary() {
  return `canary-${randomBytes(8).toString('hex')}`
}

/** A client on a fresh embedded store. */
async function localClient() {
  return Client.fromUri(`local://${join(tempDir(), 'store.db')}`, localOptions())
}

/** A root-token client on the OpenBao the tests use. */
async function vaultClient() {
  const { openbao } = await services()
  return Client.open('vault', {
    address: openbao.address,
    token: openbao.token,
    mount: openbao.kv_mount,
    transit: openbao.transit_mount,
  })
}

/** What a console prints, without printing it. */
function capturedConsole() {
  let text = ''
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += chunk.toString()
      done()
    },
  })
  const console = new globalThis.console.Console({ stdout: stream, stderr: stream, colorMode: false })
  return { console, text: () => text }
}

/** Every way a value is commonly turned into text. */
function shown(value) {
  const texts = [
    inspect(value),
    inspect(value, { showHidden: true, depth: Infinity }),
    inspect(value, { showHidden: true, depth: Infinity, colors: true, getters: true }),
    inspect([value], { depth: Infinity }),
    inspect({ k: value }, { showHidden: true, depth: Infinity }),
    inspect(new Map([['k', value]]), { showHidden: true, depth: Infinity }),
    inspect(new Set([value]), { showHidden: true, depth: Infinity }),
    format('%s %o %O %j %v', value, value, value, value, value),
    format(value),
    JSON.stringify(value) ?? '',
    JSON.stringify({ k: value, list: [value] }),
    JSON.stringify(value, null, 2) ?? '',
  ]
  for (const render of [
    () => String(value),
    () => `${value}`,
    () => `${[value]}`,
    () => '' + value,
    () => String([value]),
    () => value.toString(),
    () => value.toLocaleString(),
    () => Object.prototype.toString.call(value),
  ]) {
    // Some values (a null-prototype record) have no string form: throwing is no leak.
    try {
      texts.push(String(render()))
    } catch (error) {
      texts.push(String(error?.message))
    }
  }
  const { console, text } = capturedConsole()
  console.log(value)
  console.log('%s', value)
  console.log('value: %o', value)
  console.dir(value, { showHidden: true, depth: Infinity })
  console.info({ nested: { value } })
  console.error('error', value)
  console.table([{ value }])
  texts.push(text())
  return texts
}

/** The forms a canary takes in text: itself, and as hex / base64 when it is bytes. */
function forms(canary) {
  if (typeof canary === 'string') return [canary]
  return [canary.toString('hex'), canary.toString('base64'), canary.toString('base64url')]
}

function assertHidden(value, canary, what = 'the value') {
  for (const text of shown(value)) {
    for (const form of forms(canary)) {
      assert.ok(!text.includes(form), `${what} shows the canary: ${text}`)
    }
  }
}

/** An error never carries the canary: not in message, stack, inspect, JSON or String. */
function assertErrorHidden(error, canary) {
  assert.ok(error instanceof Error, inspect(error))
  const texts = [
    error.message,
    error.stack,
    String(error),
    inspect(error),
    inspect(error, { showHidden: true, depth: Infinity }),
    JSON.stringify(error),
    JSON.stringify(Object.getOwnPropertyNames(error).map((name) => String(error[name]))),
    ...shown(error),
  ]
  for (const text of texts) {
    assert.ok(!String(text).includes(canary), `the error shows the canary: ${text}`)
  }
}

// ---------------------------------------------------------------------------------
// Values from the embedded store.
// ---------------------------------------------------------------------------------

test('a secret value shows [REDACTED]; reveal() and revealString() return it', async () => {
  const canary = newCanary()
  const client = await localClient()
  await client.put('app/token', canary)
  const secret = await client.get('app/token')
  assertHidden(secret, canary, 'the Secret')
  assertHidden(secret.value, canary, 'the SecretValue')
  assert.equal(inspect(secret.value), '[REDACTED]')
  assert.equal(String(secret.value), '[REDACTED]')
  assert.equal(`${secret.value}`, '[REDACTED]')
  assert.equal(JSON.stringify(secret.value), '"[REDACTED]"')
  assert.ok(inspect(secret).includes('[REDACTED]'))
  assert.ok(secret.value instanceof SecretValue)
  const revealed = secret.value.reveal()
  assert.ok(Buffer.isBuffer(revealed))
  assert.deepEqual(revealed, Buffer.from(canary))
  assert.equal(secret.value.revealString(), canary)
  assert.equal(secret.value.length, Buffer.byteLength(canary))
  assert.ok(secret.value.equals(new SecretValue(canary)))
  assert.ok(!secret.value.equals(new SecretValue(`${canary}x`)))
  // Comparing with the plain text never matches by coercion.
  assert.notEqual(secret.value, canary)
  // eslint-disable-next-line eqeqeq
  assert.ok(!(secret.value == canary))
})

test('a SecretValue made from text or bytes is redacted too', () => {
  const canary = newCanary()
  for (const value of [new SecretValue(canary), new SecretValue(Buffer.from(canary))]) {
    assertHidden(value, canary)
    assert.equal(value.revealString(), canary)
    assert.deepEqual(value.reveal(), Buffer.from(canary))
  }
  // A changed copy of what reveal() returned does not change the value.
  const value = new SecretValue(canary)
  value.reveal().fill(0)
  assert.equal(value.revealString(), canary)
})

test('version info, metadata and versions never carry the value', async () => {
  const canary = newCanary()
  const client = await localClient()
  const written = await client.put('app/token', canary, { tags: { owner: 'me' } })
  assertHidden(written, canary, 'put()`s VersionInfo')
  assertHidden(await client.metadata('app/token'), canary, 'metadata()')
  assertHidden(await client.versions('app/token'), canary, 'versions()')
  assertHidden(await client.list(), canary, 'list()')
})

test('a key/value secret shows its keys, not its values', async () => {
  const canary = newCanary()
  const client = await localClient()
  await client.put('app/db', { username: 'app', password: canary })
  const secret = await client.get('app/db')
  assertHidden(secret, canary, 'the Secret')
  const fields = secret.value.fields()
  assertHidden(fields, canary, 'fields()')
  assert.ok(inspect(fields).includes('password'))
  assert.deepEqual(Object.keys(fields).sort(), ['password', 'username'])
  for (const [name, value] of Object.entries(fields)) {
    assert.ok(value instanceof SecretValue, name)
    assertHidden(value, canary, `field ${name}`)
  }
  assert.equal(fields.password.revealString(), canary)
  assert.equal(fields.username.revealString(), 'app')
  assert.deepEqual(JSON.parse(secret.value.revealString()), { username: 'app', password: canary })
})

test('copies and serialisations of a value never carry it', async () => {
  const canary = newCanary()
  const client = await localClient()
  await client.put('app/db', { username: 'app', password: canary })
  const secret = await client.get('app/db')
  for (const value of [secret.value, secret.value.fields().password, new SecretValue(canary)]) {
    assertHidden({ ...value }, canary, 'a spread copy')
    assertHidden(Object.assign({}, value), canary, 'Object.assign')
    assertHidden(Object.entries(value), canary, 'Object.entries')
    let cloned
    try {
      cloned = structuredClone(value)
    } catch {
      cloned = undefined
    }
    assertHidden(cloned, canary, 'a structuredClone')
    assert.ok(!(cloned instanceof SecretValue) || cloned.revealString() === canary)
    let serialised
    try {
      serialised = v8.serialize(value)
    } catch {
      serialised = Buffer.alloc(0)
    }
    assert.ok(!serialised.toString('latin1').includes(canary), 'v8.serialize carries the canary')
    assert.ok(!Buffer.from(`${value}`).toString().includes(canary))
  }
  assertHidden(structuredClone({ secret: { ...secret } }), canary, 'a structuredClone of a Secret')
})

test('console.log of a secret in a child process prints no canary', async () => {
  const canary = newCanary()
  const dir = tempDir()
  const script = `
    import { Client, SecretValue } from ${JSON.stringify(INDEX)}
    import { localOptions } from ${JSON.stringify(SERVICES)}
    const canary = process.env.CANARY
    const client = await Client.fromUri(${JSON.stringify(`local://${join(dir, 'store.db')}`)}, localOptions())
    await client.put('app/token', canary)
    await client.put('app/db', { username: 'app', password: canary })
    const secret = await client.get('app/token')
    const fields = (await client.get('app/db')).value.fields()
    const plain = await client.transit.createKey('k').then(() => client.transit.encrypt('k', canary)).then((c) => client.transit.decrypt('k', c))
    console.log(secret)
    console.log(secret.value)
    console.log('value: %s', secret.value, 'object: %o', secret)
    console.log(\`template: \${secret.value}\`)
    console.log(String(secret.value), JSON.stringify(secret), JSON.stringify(fields))
    console.dir(secret, { showHidden: true, depth: Infinity })
    console.dir(fields, { showHidden: true, depth: Infinity })
    console.info({ fields, plain, made: new SecretValue(canary) })
    console.error(secret.value, fields)
    console.warn('warn', plain)
    console.table([{ value: secret.value, plain }])
    console.trace('trace', secret.value)
    process.emitWarning(\`token is \${secret.value}\`)
    console.log('revealed:', secret.value.revealString() === canary, fields.password.revealString() === canary, plain.revealString() === canary)
  `
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, CANARY: canary },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk) => (stdout += chunk))
  child.stderr.on('data', (chunk) => (stderr += chunk))
  const [code] = await once(child, 'close')
  assert.equal(code, 0, `the child failed:\n${stderr}`)
  assert.ok(stdout.includes('revealed: true true true'), `the child did not see the canary:\n${stdout}`)
  assert.ok(stdout.includes('[REDACTED]'), stdout)
  assert.ok(stderr.includes('[REDACTED]'), stderr)
  assert.ok(stderr.includes('token is [REDACTED]'), stderr)
  assert.ok(!stdout.includes(canary), `stdout shows the canary:\n${stdout}`)
  assert.ok(!stderr.includes(canary), `stderr shows the canary:\n${stderr}`)
})

test('warnings and errors built from a value show [REDACTED]', async () => {
  const canary = newCanary()
  const client = await localClient()
  await client.put('app/token', canary)
  const value = (await client.get('app/token')).value
  const warnings = []
  const listener = (warning) => warnings.push(warning)
  process.on('warning', listener)
  try {
    process.emitWarning(String(value))
    process.emitWarning(`token is ${value}`)
    await new Promise((resolve) => setImmediate(resolve))
  } finally {
    process.off('warning', listener)
  }
  assert.equal(warnings.length, 2)
  for (const warning of warnings) assertErrorHidden(warning, canary)
  const error = new Error(`failed with ${value}`, { cause: value })
  assertErrorHidden(error, canary)
  assert.ok(inspect(error).includes('[REDACTED]'))
})

test('conflict errors do not echo the value', async () => {
  const canary = newCanary()
  const client = await localClient()
  const first = await client.put('app/token', canary)
  await client.put('app/token', canary)
  for (const cas of [0, first.version]) {
    const error = await caught(() => client.put('app/token', canary, { cas }))
    assert.ok(error instanceof ConflictError, inspect(error))
    assertErrorHidden(error, canary)
  }
  // Nor does a refused path.
  const invalid = await caught(() => client.put('app//token', canary))
  assert.ok(invalid instanceof IronsecretsError, inspect(invalid))
  assertErrorHidden(invalid, canary)
})

test('transit plaintexts (local) are secret values', async () => {
  const canary = newCanary()
  const client = await localClient()
  const transit = client.transit
  await transit.createKey('k')
  const ciphertext = await transit.encrypt('k', canary)
  assert.ok(!ciphertext.includes(canary))
  const plain = await transit.decrypt('k', ciphertext)
  assert.ok(plain instanceof SecretValue)
  assertHidden(plain, canary, 'decrypt()')
  assert.equal(plain.revealString(), canary)
  const missing = await caught(() => transit.encrypt('no-such-key', canary))
  assert.ok(missing instanceof IronsecretsError, inspect(missing))
  assertErrorHidden(missing, canary)
})

test('data keys (local) are secret values', async () => {
  const client = await localClient()
  const transit = client.transit
  await transit.createKey('k')
  const dataKey = await transit.generateDataKey('k')
  assert.ok(dataKey.plaintext instanceof SecretValue)
  const bytes = dataKey.plaintext.reveal()
  assert.equal(bytes.length, 32)
  assert.equal(inspect(dataKey.plaintext), '[REDACTED]')
  assertHidden(dataKey, bytes, 'the DataKey')
  assertHidden(dataKey.plaintext, bytes, 'the data key`s plaintext')
  const decrypted = await transit.decrypt('k', dataKey.ciphertext)
  assert.deepEqual(decrypted.reveal(), bytes)
  assertHidden(decrypted, bytes, 'the decrypted data key')
})

// ---------------------------------------------------------------------------------
// Option values.
// ---------------------------------------------------------------------------------

test('a wrong master key given as an option never shows in the error', async () => {
  const uri = `local://${join(tempDir(), 'store.db')}`
  await (await Client.fromUri(uri, localOptions())).put('app/x', 'v')
  for (const wrong of [newCanary(), new SecretValue(newCanary()), Buffer.from(newCanary())]) {
    const canary = wrong instanceof SecretValue ? wrong.revealString() : String(wrong)
    const error = await caught(() => Client.fromUri(uri, { master_key: wrong }))
    assert.ok(error instanceof IronsecretsError, inspect(error))
    assertErrorHidden(error, canary)
    assertErrorHidden(error, MASTER_KEY)
  }
})

test('option values never show in option errors', async () => {
  const canary = newCanary()
  const dir = tempDir()
  const errors = [
    // An unknown option's value.
    await caught(() => Client.fromUri(`local://${join(dir, 'a.db')}`, { master_key: canary, mastr_kee: canary })),
    // An option given twice.
    await caught(() =>
      Client.fromUri(`local://${join(dir, 'b.db')}?principal=${canary}`, { master_key: canary, principal: canary }),
    ),
    // A credential in a URI.
    await caught(() => Client.fromUri(`vault://127.0.0.1:1?token=${canary}`)),
    await caught(() => Client.fromUri(`local://${join(dir, 'c.db')}?master_key=${canary}`)),
    // A refused address, with the token beside it.
    await caught(() => Client.open('vault', { address: 'http://vault.example.com:8200', token: canary })),
    // An unknown option, with the token beside it.
    await caught(() => Client.open('vault', { address: 'http://127.0.0.1:1', token: canary, mout: canary })),
  ]
  for (const error of errors) {
    assert.ok(error instanceof IronsecretsError, inspect(error))
    assertErrorHidden(error, canary)
  }
})

test('a wrong token on OpenBao never shows in the error', async () => {
  const { openbao } = await services()
  for (const token of [newCanary(), new SecretValue(newCanary())]) {
    const canary = token instanceof SecretValue ? token.revealString() : token
    const client = (await Client.open('vault', { address: openbao.address, token, mount: openbao.kv_mount })).withRetry({
      maxAttempts: 1,
    })
    assertHidden(client, canary, 'the client')
    const error = await caught(() => client.get('app/anything'))
    assert.ok(error instanceof IronsecretsError, inspect(error))
    assertErrorHidden(error, canary)
    const transit = await caught(() => client.transit.encrypt('k', canary))
    assert.ok(transit instanceof IronsecretsError, inspect(transit))
    assertErrorHidden(transit, canary)
  }
})

test('a wrong password for a login never shows in the error', async () => {
  const { openbao } = await services()
  const canary = newCanary()
  const client = (await Client.open('vault', { address: openbao.address })).withRetry({ maxAttempts: 1 })
  const error = await caught(() =>
    client.vault().loginUserpass(openbao.userpass.username, canary, { mount: openbao.userpass.mount }),
  )
  assert.ok(error instanceof IronsecretsError, inspect(error))
  assertErrorHidden(error, canary)
  const atOpen = await caught(() =>
    Client.open('vault', {
      address: openbao.address,
      login: 'userpass',
      auth_mount: openbao.userpass.mount,
      username: openbao.userpass.username,
      password: canary,
    }).then((opened) => opened.list()),
  )
  assert.ok(atOpen instanceof IronsecretsError, inspect(atOpen))
  assertErrorHidden(atOpen, canary)
})

// ---------------------------------------------------------------------------------
// Values from OpenBao.
// ---------------------------------------------------------------------------------

test('a secret read from OpenBao is redacted', async () => {
  const canary = newCanary()
  const client = await vaultClient()
  const path = `node-redaction/${randomBytes(4).toString('hex')}`
  assertHidden(await client.put(path, { password: canary }), canary, 'put()`s VersionInfo')
  const secret = await client.get(path)
  assertHidden(secret, canary, 'the Secret')
  assertHidden(secret.value.fields(), canary, 'fields()')
  assert.equal(secret.value.fields().password.revealString(), canary)
  const error = await caught(() => client.put(path, { password: canary }, { cas: 0 }))
  assert.ok(error instanceof IronsecretsError, inspect(error))
  assertErrorHidden(error, canary)
})

test('transit decrypt and data keys from OpenBao are redacted', async () => {
  const canary = newCanary()
  const client = await vaultClient()
  const transit = client.transit
  const name = `node-redaction-${randomBytes(4).toString('hex')}`
  await transit.createKey(name)
  const ciphertext = await transit.encrypt(name, canary)
  assert.ok(!ciphertext.includes(canary))
  assert.ok(!ciphertext.includes(Buffer.from(canary).toString('base64')))
  const plain = await transit.decrypt(name, ciphertext)
  assertHidden(plain, canary, 'decrypt()')
  assert.equal(plain.revealString(), canary)
  const dataKey = await transit.generateDataKey(name, { bits: 256 })
  const bytes = dataKey.plaintext.reveal()
  assert.equal(bytes.length, 32)
  assertHidden(dataKey, bytes, 'the DataKey')
  assert.deepEqual((await transit.decrypt(name, dataKey.ciphertext)).reveal(), bytes)
  const wrongContext = await caught(() => transit.decrypt(name, ciphertext, { context: Buffer.from(canary) }))
  assert.ok(wrongContext instanceof IronsecretsError, inspect(wrongContext))
  assertErrorHidden(wrongContext, canary)
})

test('a leased database credential is redacted', async () => {
  const client = await vaultClient()
  const { database } = await services()
  const credential = await client.credentials.issue(CredentialRequest.database(database.mount, database.long_role))
  try {
    const password = credential.data.password.revealString()
    const username = credential.data.username.revealString()
    assert.ok(password.length > 0 && username.length > 0)
    assertHidden(credential, password, 'the LeasedCredential')
    assertHidden(credential.data, password, 'its data')
    assertHidden(credential.data.password, password, 'its password')
    assertHidden(credential, username, 'the LeasedCredential`s username')
    assert.ok(inspect(credential, { depth: Infinity }).includes('[REDACTED]'))
    assert.ok(inspect(credential).includes(credential.lease.id), 'the lease id is no secret')
  } finally {
    await client.leases.revoke(credential.lease.id)
  }
})

test('a login`s token is redacted', async () => {
  const { openbao } = await services()
  const client = await Client.open('vault', { address: openbao.address, mount: openbao.kv_mount })
  const login = await client
    .vault()
    .loginUserpass(openbao.userpass.username, new SecretValue(openbao.userpass.password), {
      mount: openbao.userpass.mount,
    })
  const token = login.token.revealString()
  assert.ok(token.length > 0)
  assertHidden(login, token, 'the TokenLease')
  assertHidden(login, openbao.userpass.password, 'the TokenLease (password)')
  assertHidden(await client.vault().renewSelf(), token, 'renewSelf()')
  assertHidden(await client.vault().lookupSelf(), token, 'lookupSelf()')
  assertHidden(client, token, 'the client')
  const approle = await Client.open('vault', { address: openbao.address })
  const viaApprole = await approle
    .vault()
    .loginApprole(openbao.approle.role_id, openbao.approle.secret_id, { mount: openbao.approle.mount })
  assertHidden(viaApprole, viaApprole.token.revealString(), 'the AppRole TokenLease')
  assertHidden(viaApprole, openbao.approle.secret_id, 'the AppRole TokenLease (secret id)')
})
