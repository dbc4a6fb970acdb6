// Errors (the port of bindings/python/tests/test_errors.py): one class per core error
// kind, exported by index.js and index.mjs and declared in index.d.ts, and the right
// class (with its context) for each mistake a user can make.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { test } from 'node:test'
import { inspect } from 'node:util'

import * as ironsecrets from 'ironsecrets'
import {
  Client,
  ConfigError,
  ConflictError,
  CredentialRequest,
  IntegrityError,
  InvalidInputError,
  IronsecretsError,
  NotFoundError,
  AlreadyExistsError,
  PermissionDeniedError,
  SecretValue,
  UnauthenticatedError,
  UnavailableError,
  UnsupportedError,
} from 'ironsecrets'
import { caught, localOptions, MASTER_KEY, services, tempDir } from './services.mjs'

const require = createRequire(import.meta.url)
/** The CommonJS face; its ERROR_KINDS is the native `errorKinds()`, the core's list. */
const cjs = require('ironsecrets')
const CORE_KINDS = cjs.ERROR_KINDS

const DTS = new URL('index.d.ts', import.meta.resolve('ironsecrets'))

/** The `ErrorCode` union's members, as index.d.ts spells them. */
function declaredErrorCodes() {
  const text = readFileSync(DTS, 'utf8')
  const union = /export\s+type\s+ErrorCode\s*=([^;]*?)(?=\n\s*\n|\n\s*\/\*\*|\n\s*export\s)/.exec(text)
  assert.ok(union, `index.d.ts declares no \`export type ErrorCode = ...\``)
  return [...union[1].matchAll(/'([^']+)'|"([^"]+)"/g)].map((match) => match[1] ?? match[2])
}

/** The classes index.d.ts declares as subclasses of IronsecretsError. */
function declaredErrorClasses() {
  const text = readFileSync(DTS, 'utf8')
  return [...text.matchAll(/export\s+declare\s+class\s+(\w+)\s+extends\s+IronsecretsError\b/g)].map(
    (match) => match[1],
  )
}

/** A client on a fresh embedded store. */
async function localClient() {
  return Client.fromUri(`local://${join(tempDir(), 'store.db')}`, localOptions())
}

/** A loopback port nothing listens on (bound, then closed). */
async function closedPort() {
  const server = createServer()
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address()
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** Checks an error is an ironsecrets error of `Class`, with `code` its kind's name. */
function assertKind(error, Class) {
  assert.ok(error instanceof Class, `expected a ${Class.name}, got ${inspect(error)}`)
  assert.ok(error instanceof IronsecretsError)
  assert.ok(error instanceof Error)
  assert.equal(error.code, Class.name.replace(/Error$/, ''))
  assert.equal(error.name, Class.name)
  assert.equal(typeof error.message, 'string')
  assert.ok(error.message.length > 0, 'the error has no message')
  assert.equal(typeof error.stack, 'string')
}

/**
 * A mistake in an argument's JavaScript type: napi's TypeError-like error (`code`
 * 'InvalidArg', ...), a TypeError, or an InvalidInputError.
 */
function assertArgumentError(error) {
  assert.ok(error instanceof Error, `expected an Error, got ${inspect(error)}`)
  const napiTypeError = typeof error.code === 'string' && /^(InvalidArg|\w+Expected)$/.test(error.code)
  assert.ok(
    error instanceof TypeError || napiTypeError || error instanceof InvalidInputError,
    `expected a TypeError-like error or an InvalidInputError, got ${inspect(error)}`,
  )
}

// ---------------------------------------------------------------------------------
// The classes.
// ---------------------------------------------------------------------------------

test('IronsecretsError is an Error', () => {
  assert.equal(typeof IronsecretsError, 'function')
  assert.ok(IronsecretsError.prototype instanceof Error)
  assert.equal(cjs.IronsecretsError, IronsecretsError)
})

test('every core kind has a class, in index.js and index.mjs, with code the kind name', () => {
  assert.ok(Array.isArray(CORE_KINDS) && CORE_KINDS.length > 0, 'ERROR_KINDS is empty')
  assert.deepEqual([...ironsecrets.ERROR_KINDS], [...CORE_KINDS])
  for (const kind of CORE_KINDS) {
    const name = `${kind}Error`
    const fromCjs = cjs[name]
    const fromEsm = ironsecrets[name]
    assert.equal(typeof fromCjs, 'function', `index.js exports no ${name}`)
    assert.equal(typeof fromEsm, 'function', `index.mjs exports no ${name}`)
    assert.equal(fromEsm, fromCjs, `index.mjs's ${name} is not index.js's`)
    assert.equal(fromCjs.name, name)
    assert.notEqual(fromCjs, IronsecretsError)
    assert.ok(fromCjs.prototype instanceof IronsecretsError, `${name} is not a subclass of IronsecretsError`)
    assert.ok(fromCjs.prototype instanceof Error, `${name} is not a subclass of Error`)
    // The factory's way, which every real error goes through.
    const made = new fromCjs('made', { kind, retryable: false })
    assert.equal(made.code, kind)
    assert.equal(made.name, name)
    assert.equal(made.message, 'made')
    assert.ok(made instanceof IronsecretsError && made instanceof Error)
  }
})

test('an error class made by hand (a test double) knows its own code', () => {
  for (const kind of CORE_KINDS) {
    const own = new cjs[`${kind}Error`]('own')
    assert.equal(own.code, kind, `new ${kind}Error('own').code is ${inspect(own.code)}, not '${kind}'`)
  }
})

test('the package has no error class for a kind the core lacks', () => {
  const exported = (module) =>
    Object.entries(module)
      .filter(([, value]) => typeof value === 'function' && value.prototype instanceof IronsecretsError)
      .map(([name]) => name)
      .sort()
  const expected = CORE_KINDS.map((kind) => `${kind}Error`).sort()
  assert.deepEqual(exported(cjs), expected)
  assert.deepEqual(exported(ironsecrets), expected)
})

test('index.d.ts declares exactly the core kinds (fails when the core gains a kind)', () => {
  const codes = declaredErrorCodes()
  assert.deepEqual(
    [...codes].sort(),
    [...CORE_KINDS].sort(),
    'index.d.ts `ErrorCode` differs from the core`s ERROR_KINDS',
  )
  assert.deepEqual(codes, [...CORE_KINDS], 'index.d.ts `ErrorCode` is not in the core`s order')
  const classes = declaredErrorClasses()
  assert.deepEqual(
    [...classes].sort(),
    CORE_KINDS.map((kind) => `${kind}Error`).sort(),
    'index.d.ts declares other error classes than the core`s kinds',
  )
})

test('kinds and operations are the core`s', () => {
  assert.equal(CORE_KINDS[0], 'NotFound')
  assert.equal(CORE_KINDS.at(-1), 'Unexpected')
  assert.equal(new Set(CORE_KINDS).size, CORE_KINDS.length)
  for (const operation of ['get', 'put', 'metadata', 'open', 'transit-encrypt', 'lease-renew']) {
    assert.ok(ironsecrets.OPERATIONS.includes(operation), `OPERATIONS lacks ${operation}`)
  }
})

// ---------------------------------------------------------------------------------
// The errors users hit.
// ---------------------------------------------------------------------------------

test('not found names backend, operation and path', async () => {
  const client = await localClient()
  const error = await caught(() => client.get('app/missing'))
  assertKind(error, NotFoundError)
  assert.equal(error.code, 'NotFound')
  assert.equal(error.operation, 'get')
  assert.equal(error.backend, 'local')
  assert.equal(error.path, 'app/missing')
  assert.equal(error.retryable, false)
  assert.equal(error.retryAfter, null)
  assert.ok(String(error).includes('NotFoundError'))
})

test('conflict on check-and-set', async () => {
  const client = await localClient()
  await client.put('app/cas', 'one')
  const error = await caught(() => client.put('app/cas', 'two', { cas: 0 }))
  assertKind(error, ConflictError)
  assert.equal(error.operation, 'put')
  assert.equal(error.path, 'app/cas')
  assert.equal(error.retryable, false)
  assertKind(await caught(() => client.put('app/cas', 'two', { cas: 7 })), ConflictError)
  assert.equal((await client.get('app/cas')).value.revealString(), 'one')
})

test('an existing transit key is already-exists', async () => {
  const client = await localClient()
  await client.transit.createKey('k')
  const error = await caught(() => client.transit.createKey('k'))
  assertKind(error, AlreadyExistsError)
  assert.equal(error.operation, 'transit-create')
  assert.equal(error.path, 'k')
})

for (const path of ['../x', '', 'a//b', '/a', 'a/']) {
  test(`invalid path ${JSON.stringify(path)} is invalid input`, async () => {
    const client = await localClient()
    const error = await caught(() => client.get(path))
    assertKind(error, InvalidInputError)
    assert.equal(error.operation, 'get')
  })
}

test('an unknown key type is invalid input', async () => {
  const client = await localClient()
  const error = await caught(() => client.transit.createKey('k', { keyType: 'no-such-type' }))
  assertKind(error, InvalidInputError)
  assert.ok(error.message.includes('no-such-type'), error.message)
})

test('fields() of a value that is no key/value secret is invalid input', async () => {
  const client = await localClient()
  await client.put('app/plain', 'not json')
  const secret = await client.get('app/plain')
  assert.throws(() => secret.value.fields(), (error) => {
    assertKind(error, InvalidInputError)
    return true
  })
})

test('revealString() of binary is invalid input', () => {
  assert.throws(() => new SecretValue(Buffer.from([0xff, 0xfe])).revealString(), (error) => {
    assertKind(error, InvalidInputError)
    return true
  })
})

test('a number is no secret value (Python: TypeError), and nothing is written', async () => {
  const client = await localClient()
  assertArgumentError(await caught(() => client.put('app/x', 42)))
  assertKind(await caught(() => client.get('app/x')), NotFoundError)
})

test('a boolean is no version', async () => {
  const client = await localClient()
  await client.put('app/x', 'v')
  assertArgumentError(await caught(() => client.get('app/x', { version: true })))
})

test('a record whose field is no secret value is refused, and nothing is written', async () => {
  const client = await localClient()
  assertArgumentError(await caught(() => client.put('app/x', { n: 42 })))
  assertKind(await caught(() => client.get('app/x')), NotFoundError)
})

test('a backend option of the wrong type is refused', async () => {
  assertArgumentError(
    await caught(() => Client.open('vault', { address: 'http://127.0.0.1:1', token: {} })),
  )
  assertArgumentError(
    await caught(() => Client.open('vault', { address: 'http://127.0.0.1:1', token: 't', timeout: 1.5 })),
  )
})

test('an unknown scheme is config', async () => {
  const error = await caught(() => Client.fromUri('nope://somewhere'))
  assertKind(error, ConfigError)
  assert.equal(error.operation, 'open')
  assert.ok(error.message.includes('nope'), error.message)
  assert.equal(error.retryable, false)
  assertKind(await caught(() => Client.open('nope')), ConfigError)
})

test('a wrong master key is refused (integrity) without echoing either key', async () => {
  const uri = `local://${join(tempDir(), 'store.db')}`
  await (await Client.fromUri(uri, localOptions())).put('app/x', 'v')
  const wrong = 'not the master key at all'
  const error = await caught(() => Client.fromUri(uri, { master_key: wrong }))
  assertKind(error, IntegrityError)
  assert.equal(error.operation, 'open')
  assert.equal(error.backend, 'local')
  assert.ok(error.message.includes('master key'), error.message)
  for (const text of [error.message, error.stack, inspect(error, { showHidden: true, depth: Infinity })]) {
    assert.ok(!text.includes(wrong), 'the error shows the wrong master key')
    assert.ok(!text.includes(MASTER_KEY), 'the error shows the master key')
  }
  // The right key still opens it.
  const client = await Client.fromUri(uri, { master_key: MASTER_KEY })
  assert.equal((await client.get('app/x')).value.revealString(), 'v')
})

test('a missing master key is config naming IRONSECRETS_MASTER_KEY', async () => {
  const saved = process.env.IRONSECRETS_MASTER_KEY
  delete process.env.IRONSECRETS_MASTER_KEY
  try {
    const error = await caught(() => Client.fromUri(`local://${join(tempDir(), 'store.db')}`))
    assertKind(error, ConfigError)
    assert.ok(error.message.includes('IRONSECRETS_MASTER_KEY'), error.message)
  } finally {
    if (saved !== undefined) process.env.IRONSECRETS_MASTER_KEY = saved
  }
})

test('a missing store with create: false is refused', async () => {
  const error = await caught(() =>
    Client.fromUri(`local://${join(tempDir(), 'store.db')}`, { master_key: MASTER_KEY, create: false }),
  )
  assert.ok(error instanceof IronsecretsError, inspect(error))
  assert.ok(['NotFound', 'Config'].includes(error.code), error.code)
})

test('an option in both the URI and the options is config', async () => {
  const error = await caught(() =>
    Client.fromUri(`local://${join(tempDir(), 'store.db')}?principal=admin`, {
      master_key: MASTER_KEY,
      principal: 'admin',
    }),
  )
  assertKind(error, ConfigError)
  assert.ok(error.message.includes('principal'), error.message)
  assert.ok(error.message.includes('twice'), error.message)
})

test('a credential in the URI is config and not echoed', async () => {
  const error = await caught(() => Client.fromUri(`local://${join(tempDir(), 'store.db')}?master_key=s3cr3t-in-uri`))
  assertKind(error, ConfigError)
  assert.ok(error.message.includes('master_key'), error.message)
  for (const text of [error.message, error.stack, String(error), inspect(error, { showHidden: true, depth: Infinity }), JSON.stringify(error)]) {
    assert.ok(!text.includes('s3cr3t-in-uri'), 'the error echoes the credential')
  }
})

test('an unknown option is config naming it', async () => {
  const local = await caught(() =>
    Client.fromUri(`local://${join(tempDir(), 'store.db')}`, { master_key: MASTER_KEY, mastr_kee: 'x' }),
  )
  assertKind(local, ConfigError)
  assert.ok(local.message.includes('mastr_kee'), local.message)
  const vault = await caught(() =>
    Client.open('vault', { address: 'http://127.0.0.1:1', token: 't', mout: 'secret' }),
  )
  assertKind(vault, ConfigError)
  assert.ok(vault.message.includes('mout'), vault.message)
})

test('Vault engines on the local store are unsupported', async () => {
  const client = await localClient()
  assert.throws(() => client.vault(), (error) => {
    assertKind(error, UnsupportedError)
    return true
  })
})

test('leases and credentials on the local store are unsupported', async () => {
  const client = await localClient()
  assert.equal(client.capabilities().leases, false)
  assert.equal(client.capabilities().dynamicCredentials, false)
  const lookup = await caught(() => client.leases.lookup('some/lease'))
  assertKind(lookup, UnsupportedError)
  assert.equal(lookup.operation, 'lease-lookup')
  assertKind(
    await caught(() => client.credentials.issue(CredentialRequest.database('database', 'app'))),
    UnsupportedError,
  )
})

test('a tampered ciphertext is integrity', async () => {
  const client = await localClient()
  const transit = client.transit
  await transit.createKey('k')
  const ciphertext = await transit.encrypt('k', Buffer.from('hello world, this is a plaintext'))
  const first = ciphertext.indexOf(':')
  const second = ciphertext.indexOf(':', first + 1)
  assert.ok(first > 0 && second > first, ciphertext)
  const head = ciphertext.slice(0, second + 1)
  const payload = ciphertext.slice(second + 1)
  const middle = Math.floor(payload.length / 2)
  const tampered = payload.slice(0, middle) + (payload[middle] === 'A' ? 'B' : 'A') + payload.slice(middle + 1)
  const error = await caught(() => transit.decrypt('k', head + tampered))
  assertKind(error, IntegrityError)
  assert.equal(error.operation, 'transit-decrypt')
})

test('an unreachable Vault is unavailable (retryable)', async () => {
  const port = await closedPort()
  const client = (await Client.open('vault', { address: `http://127.0.0.1:${port}`, token: 't' })).withRetry({
    maxAttempts: 1,
  })
  const error = await caught(() => client.get('app/x'))
  assertKind(error, UnavailableError)
  assert.equal(error.retryable, true)
  assert.equal(error.backend, 'vault')
  assert.equal(error.operation, 'get')
  assert.equal(error.path, 'app/x')
})

test('plain http to a remote Vault is config', async () => {
  const error = await caught(() => Client.open('vault', { address: 'http://vault.example.com:8200', token: 't' }))
  assertKind(error, ConfigError)
  assert.ok(error.message.includes('loopback'), error.message)
})

test('a bad token on OpenBao is unauthenticated or denied, without the token', async () => {
  const { openbao } = await services()
  const client = (
    await Client.open('vault', { address: openbao.address, token: 'not-a-real-token', mount: openbao.kv_mount })
  ).withRetry({ maxAttempts: 1 })
  const error = await caught(() => client.get('app/anything'))
  assert.ok(error instanceof UnauthenticatedError || error instanceof PermissionDeniedError, inspect(error))
  assert.ok(['Unauthenticated', 'PermissionDenied'].includes(error.code))
  assert.equal(error.backend, 'vault')
  assert.ok(!error.message.includes('not-a-real-token'))
  assert.ok(!error.stack.includes('not-a-real-token'))
})

test('a login with a wrong password is refused, without the password', async () => {
  const { openbao } = await services()
  const { userpass } = openbao
  const client = (await Client.open('vault', { address: openbao.address })).withRetry({ maxAttempts: 1 })
  const error = await caught(() =>
    client.vault().loginUserpass(userpass.username, 'wrong-password-canary', { mount: userpass.mount }),
  )
  assert.ok(
    error instanceof UnauthenticatedError ||
      error instanceof PermissionDeniedError ||
      error instanceof InvalidInputError,
    inspect(error),
  )
  assert.equal(error.operation, 'login')
  assert.ok(!error.message.includes('wrong-password-canary'))
  assert.ok(!inspect(error, { showHidden: true, depth: Infinity }).includes('wrong-password-canary'))
})

test('a missing secret on OpenBao names vault', async () => {
  const { openbao } = await services()
  const client = await Client.open('vault', { address: openbao.address, token: openbao.token })
  const error = await caught(() => client.get('node-errors/never-written'))
  assertKind(error, NotFoundError)
  assert.equal(error.backend, 'vault')
  assert.equal(error.operation, 'get')
  assert.equal(error.path, 'node-errors/never-written')
})
