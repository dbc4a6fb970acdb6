// Engines on a real OpenBao and PostgreSQL (the port of
// bindings/python/tests/test_engines.py): transit, leases and dynamic database
// credentials, logins, token self-service, health, PKI.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { inspect, promisify } from 'node:util'

import pg from 'pg'

import {
  AlreadyExistsError,
  Client,
  CredentialRequest,
  IntegrityError,
  InvalidInputError,
  IronsecretsError,
  LeaseExpiredError,
  NotFoundError,
  SecretValue,
} from 'ironsecrets'
import { caught, services, tempDir, uniqueName } from './services.mjs'

let env
let vault

before(async () => {
  env = await services()
  vault = await Client.open('vault', {
    address: env.openbao.address,
    token: env.openbao.token,
    mount: env.openbao.kv_mount,
    transit: env.openbao.transit_mount,
  })
})

function assertRejectedWith(error, ...classes) {
  assert.ok(
    classes.some((Class) => error instanceof Class),
    `expected ${classes.map((Class) => Class.name).join(' or ')}, got ${inspect(error)}`,
  )
  assert.ok(error instanceof IronsecretsError)
}

function assertLease(lease) {
  assert.equal(typeof lease.id, 'string')
  assert.ok(lease.id.length > 0)
  assert.equal(typeof lease.ttl, 'number')
  assert.ok(lease.ttl > 0, `ttl ${lease.ttl}`)
  assert.equal(typeof lease.renewable, 'boolean')
  assert.ok(lease.issuedAt instanceof Date && !Number.isNaN(lease.issuedAt.getTime()))
  assert.ok(lease.expiresAt instanceof Date && !Number.isNaN(lease.expiresAt.getTime()))
  assert.ok(lease.expiresAt > lease.issuedAt)
}

// ---------------------------------------------------------------------------------
// Transit.
// ---------------------------------------------------------------------------------

test('transit: every operation of an aes256-gcm96 key', async () => {
  const transit = vault.transit
  const name = uniqueName('aes')
  const created = await transit.createKey(name)
  assert.equal(created.name, name)
  assert.equal(created.keyType, 'aes256-gcm96')
  assert.equal(created.latestVersion, 1)
  assert.equal(created.minDecryptionVersion, 1)
  assert.ok(created.createdAt instanceof Date)
  assert.equal(created.exportable, false)
  assert.ok((await transit.listKeys()).includes(name))

  const v1 = await transit.encrypt(name, 'hello transit')
  assert.ok(v1.startsWith('vault:v1:'), v1)
  const plain = await transit.decrypt(name, v1)
  assert.ok(plain instanceof SecretValue)
  assert.equal(plain.revealString(), 'hello transit')
  const withContext = await transit.encrypt(name, Buffer.from('bound'), { context: Buffer.from('tenant-a') })
  assert.deepEqual(
    (await transit.decrypt(name, withContext, { context: Buffer.from('tenant-a') })).reveal(),
    Buffer.from('bound'),
  )
  const wrongContext = await caught(() => transit.decrypt(name, withContext, { context: Buffer.from('tenant-b') }))
  assertRejectedWith(wrongContext, IntegrityError)
  assert.equal(wrongContext.operation, 'transit-decrypt')
  assert.equal(wrongContext.path, name)

  // Text, bytes and SecretValues are all plaintexts.
  for (const input of [Buffer.from('as bytes'), new Uint8Array(Buffer.from('as bytes')), new SecretValue('as bytes')]) {
    assert.equal((await transit.decrypt(name, await transit.encrypt(name, input))).revealString(), 'as bytes')
  }

  const rotated = await transit.rotateKey(name)
  assert.equal(rotated.latestVersion, 2)
  assert.equal((await transit.readKey(name)).latestVersion, 2)
  assert.ok((await transit.encrypt(name, 'newer')).startsWith('vault:v2:'))
  const rewrapped = await transit.rewrap(name, v1)
  assert.ok(rewrapped.startsWith('vault:v2:'), rewrapped)
  assert.equal((await transit.decrypt(name, rewrapped)).revealString(), 'hello transit')
  const raised = await transit.setMinDecryptionVersion(name, 2)
  assert.equal(raised.minDecryptionVersion, 2)
  assert.equal((await transit.readKey(name)).minDecryptionVersion, 2)
  const tooOld = await caught(() => transit.decrypt(name, v1))
  assertRejectedWith(tooOld, InvalidInputError)
  assert.equal(tooOld.operation, 'transit-decrypt')

  const mac = await transit.hmac(name, Buffer.from('message'))
  assert.ok(mac.startsWith('vault:v2:'), mac)
  assert.equal(await transit.verifyHmac(name, Buffer.from('message'), mac), true)
  assert.equal(await transit.verifyHmac(name, Buffer.from('other'), mac), false)
  assert.equal(await transit.verifyHmac(name, 'message', mac), true)

  const dataKey = await transit.generateDataKey(name, { bits: 256 })
  assert.ok(dataKey.plaintext instanceof SecretValue)
  assert.equal(dataKey.plaintext.length, 32)
  assert.ok(dataKey.ciphertext.startsWith('vault:v2:'), dataKey.ciphertext)
  assert.deepEqual((await transit.decrypt(name, dataKey.ciphertext)).reveal(), dataKey.plaintext.reveal())
  assert.equal((await transit.generateDataKey(name, { bits: 512 })).plaintext.length, 64)
  assert.equal((await transit.generateDataKey(name)).plaintext.length, 32)

  const again = await caught(() => transit.createKey(name))
  assertRejectedWith(again, AlreadyExistsError)
  assert.equal(again.code, 'AlreadyExists')
  assert.equal(again.operation, 'transit-create')
  const missing = await caught(() => transit.readKey(uniqueName('missing')))
  assertRejectedWith(missing, NotFoundError)
  assert.equal(missing.operation, 'transit-read')
  assert.equal(missing.backend, 'vault')
})

for (const keyType of ['ed25519', 'ecdsa-p256', 'rsa-2048']) {
  test(`transit: sign and verify with ${keyType}`, async () => {
    const transit = vault.transit
    const name = uniqueName(keyType)
    assert.equal((await transit.createKey(name, { keyType })).keyType, keyType)
    const signature = await transit.sign(name, Buffer.from('signed data'))
    assert.ok(signature.startsWith('vault:v1:'), signature)
    assert.equal(await transit.verify(name, Buffer.from('signed data'), signature), true)
    assert.equal(await transit.verify(name, 'signed data', signature), true)
    assert.equal(await transit.verify(name, Buffer.from('altered data'), signature), false)
    // A rotated key still verifies what its older version signed.
    await transit.rotateKey(name)
    assert.ok((await transit.sign(name, Buffer.from('signed data'))).startsWith('vault:v2:'))
    assert.equal(await transit.verify(name, Buffer.from('signed data'), signature), true)
  })
}

test('transit: an imported aes256-gcm96 key', async () => {
  // As the Rust check: 32 random bytes imported as an aes256-gcm96 key.
  const transit = vault.transit
  const name = uniqueName('imported')
  const info = await transit.importKey(name, 'aes256-gcm96', randomBytes(32))
  assert.equal(info.name, name)
  assert.equal(info.keyType, 'aes256-gcm96')
  assert.equal(info.latestVersion, 1)
  const ciphertext = await transit.encrypt(name, Buffer.from('imported'))
  assert.ok(ciphertext.startsWith('vault:v1:'), ciphertext)
  assert.deepEqual((await transit.decrypt(name, ciphertext)).reveal(), Buffer.from('imported'))
  // The same material imported under another name decrypts the same ciphertexts.
  const material = randomBytes(32)
  const first = uniqueName('imported')
  const second = uniqueName('imported')
  await transit.importKey(first, 'aes256-gcm96', new SecretValue(material))
  await transit.importKey(second, 'aes256-gcm96', material)
  const shared = await transit.encrypt(first, 'shared material')
  assert.equal((await transit.decrypt(second, shared)).revealString(), 'shared material')
})

test('transit: 20 concurrent encryptions and decryptions', async () => {
  const client = await Client.open('vault', {
    address: env.openbao.address,
    token: env.openbao.token,
    transit: env.openbao.transit_mount,
  })
  const name = uniqueName('concurrent')
  await client.transit.createKey(name)
  const messages = Array.from({ length: 20 }, (_, i) => `m${i}`)
  const ciphertexts = await Promise.all(messages.map((message) => client.transit.encrypt(name, message)))
  const plains = await Promise.all(ciphertexts.map((ciphertext) => client.transit.decrypt(name, ciphertext)))
  assert.deepEqual(
    plains.map((plain) => plain.revealString()),
    messages,
  )
})

// ---------------------------------------------------------------------------------
// Leases and dynamic database credentials.
// ---------------------------------------------------------------------------------

/** Whether PostgreSQL lets `user` in with `password`; the user it runs as when it does. */
async function pgCurrentUser(user, password) {
  const { host, port, database } = env.postgres
  const client = new pg.Client({ host, port, database, user, password, connectionTimeoutMillis: 5000 })
  try {
    await client.connect()
  } catch {
    return null
  }
  try {
    const { rows } = await client.query('SELECT current_user AS user')
    return rows[0].user
  } finally {
    await client.end()
  }
}

test('dynamic database credentials: issue, log in, look up, renew, revoke', async () => {
  const { database } = env
  const capabilities = vault.capabilities()
  assert.equal(capabilities.dynamicCredentials, true)
  assert.equal(capabilities.leases, true)
  const request = CredentialRequest.database(database.mount, database.long_role)
  assert.deepEqual(request, { kind: 'database', mount: database.mount, role: database.long_role })
  const credential = await vault.credentials.issue(request)
  const username = credential.data.username.revealString()
  const password = credential.data.password.revealString()
  assert.ok(username.length > 0 && password.length > 0)
  // The credential never shows its password.
  for (const shown of [
    inspect(credential, { depth: Infinity, showHidden: true }),
    String(credential.data.password),
    `${credential.data.password}`,
    JSON.stringify(credential),
  ]) {
    assert.ok(!shown.includes(password), shown)
  }

  const lease = credential.lease
  assertLease(lease)
  assert.ok(lease.id.startsWith(`${database.mount}/creds/${database.long_role}/`), lease.id)
  assert.equal(lease.renewable, true)

  assert.equal(await pgCurrentUser(username, password), username)

  const lookedUp = await vault.leases.lookup(lease.id)
  assertLease(lookedUp)
  assert.equal(lookedUp.id, lease.id)
  const renewed = await vault.leases.renew(lease.id, { increment: 600 })
  assertLease(renewed)
  assert.equal(renewed.id, lease.id)
  assert.ok(renewed.ttl <= 600, `renewed for ${renewed.ttl} s, asked 600`)
  const byDefault = await vault.leases.renew(lease.id)
  assertLease(byDefault)
  assert.equal(byDefault.id, lease.id)

  await vault.leases.revoke(lease.id)
  // The database drops the user as the revocation completes; poll until it does.
  let user = username
  for (let attempt = 0; attempt < 50 && user !== null; attempt += 1) {
    user = await pgCurrentUser(username, password)
    if (user !== null) await sleep(200)
  }
  assert.equal(user, null, 'the revoked credential still logs in')
  const gone = await caught(() => vault.leases.lookup(lease.id))
  assertRejectedWith(gone, NotFoundError, LeaseExpiredError, InvalidInputError)
  assert.equal(gone.operation, 'lease-lookup')
})

test('dynamic database credentials: concurrent issues from a client without a KV mount', async () => {
  const { database } = env
  const client = await Client.open('vault', { address: env.openbao.address, token: env.openbao.token })
  const request = CredentialRequest.database(database.mount, database.long_role)
  const credentials = await Promise.all([1, 2, 3].map(() => client.credentials.issue(request)))
  const ids = new Set(credentials.map((credential) => credential.lease.id))
  assert.equal(ids.size, 3)
  const names = new Set(credentials.map((credential) => credential.data.username.revealString()))
  assert.equal(names.size, 3)
  for (const credential of credentials) {
    const lookedUp = await client.leases.lookup(credential.lease.id)
    assert.equal(lookedUp.id, credential.lease.id)
  }
  await Promise.all(credentials.map((credential) => client.leases.revoke(credential.lease.id)))
  for (const credential of credentials) {
    assertRejectedWith(
      await caught(() => client.leases.lookup(credential.lease.id)),
      NotFoundError,
      LeaseExpiredError,
      InvalidInputError,
    )
  }
})

test('an unknown lease is refused', async () => {
  const error = await caught(() => vault.leases.lookup(`${env.database.mount}/creds/${env.database.role}/nope`))
  assertRejectedWith(error, NotFoundError, LeaseExpiredError, InvalidInputError)
  assert.equal(error.backend, 'vault')
})

// ---------------------------------------------------------------------------------
// Logins, token self-service and health.
// ---------------------------------------------------------------------------------

async function plant() {
  const path = `node-logins/${randomBytes(4).toString('hex')}`
  await vault.put(path, 'planted')
  return path
}

test('a userpass login, then a read, lookupSelf and renewSelf', async () => {
  const path = await plant()
  const { userpass, policy } = env.openbao
  const client = await Client.open('vault', { address: env.openbao.address, mount: env.openbao.kv_mount })
  const login = await client.vault().loginUserpass(userpass.username, userpass.password, { mount: userpass.mount })
  assert.ok(login.token instanceof SecretValue)
  const token = login.token.revealString()
  assert.ok(token.length > 0)
  assert.ok(!inspect(login, { depth: Infinity }).includes(token))
  assert.equal(typeof login.accessor, 'string')
  assert.ok(login.accessor.length > 0)
  assert.ok(login.policies.includes(policy), inspect(login.policies))
  assertLease(login.lease)
  assert.equal((await client.get(path)).value.revealString(), 'planted')

  const info = await client.vault().lookupSelf()
  assert.ok(info.policies.includes(policy), inspect(info.policies))
  assert.equal(info.accessor, login.accessor)
  assert.equal(info.path, `auth/${userpass.mount}/login/${userpass.username}`)
  assert.ok(info.displayName.includes(userpass.username), info.displayName)
  assertLease(info.lease)

  const renewed = await client.vault().renewSelf()
  assertLease(renewed.lease)
  assert.equal(renewed.accessor, login.accessor)
  assert.ok(renewed.policies.includes(policy))
  const renewedBy = await client.vault().renewSelf({ increment: 3600 })
  assertLease(renewedBy.lease)
  assert.ok(renewedBy.lease.ttl <= 3600, `renewed for ${renewedBy.lease.ttl} s, asked 3600`)

  // The token works on its own, as any client's token.
  const byToken = await Client.open('vault', { address: env.openbao.address, token: login.token, mount: env.openbao.kv_mount })
  assert.equal((await byToken.get(path)).value.revealString(), 'planted')
})

test('an AppRole login, then a read', async () => {
  const path = await plant()
  const { approle, policy } = env.openbao
  const client = await Client.open('vault', { address: env.openbao.address, mount: env.openbao.kv_mount })
  const login = await client.vault().loginApprole(approle.role_id, approle.secret_id, { mount: approle.mount })
  assert.ok(login.token instanceof SecretValue)
  assert.ok(login.policies.includes(policy), inspect(login.policies))
  assertLease(login.lease)
  assert.equal((await client.get(path)).value.revealString(), 'planted')
  assert.ok((await client.vault().lookupSelf()).policies.includes(policy))
})

test('a login at open (userpass options)', async () => {
  const path = await plant()
  const { userpass } = env.openbao
  const client = await Client.open('vault', {
    address: env.openbao.address,
    mount: env.openbao.kv_mount,
    login: 'userpass',
    auth_mount: userpass.mount,
    username: userpass.username,
    password: userpass.password,
  })
  assert.equal((await client.get(path)).value.revealString(), 'planted')
  assert.ok((await client.vault().lookupSelf()).policies.includes(env.openbao.policy))
})

test('a login at open (approle options)', async () => {
  const path = await plant()
  const { approle } = env.openbao
  const client = await Client.open('vault', {
    address: env.openbao.address,
    mount: env.openbao.kv_mount,
    login: 'approle',
    auth_mount: approle.mount,
    role_id: approle.role_id,
    secret_id: new SecretValue(approle.secret_id),
  })
  assert.equal((await client.get(path)).value.revealString(), 'planted')
})

test('the root token looks itself up', async () => {
  const info = await vault.vault().lookupSelf()
  assert.ok(info.policies.includes('root'), inspect(info.policies))
  assert.equal(typeof info.accessor, 'string')
})

test('health is active', async () => {
  const health = await vault.vault().health()
  assert.equal(health.status, 'active')
  assert.equal(typeof health.version, 'string')
  assert.ok(health.version.length > 0)
  // Health needs no token.
  const anonymous = await Client.open('vault', { address: env.openbao.address })
  assert.equal((await anonymous.vault().health()).status, 'active')
})

// ---------------------------------------------------------------------------------
// PKI (set up over OpenBao's HTTP API with the root token; the CSR made by the
// openssl CLI).
// ---------------------------------------------------------------------------------

/** One OpenBao API call with the root token; its JSON answer (or null). */
async function bao(method, path, body) {
  const response = await fetch(`${env.openbao.address}/v1/${path}`, {
    method,
    headers: { 'X-Vault-Token': env.openbao.token, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await response.text()
  assert.ok(response.ok, `${method} ${path}: HTTP ${response.status} ${text}`)
  return text ? JSON.parse(text) : null
}

/** A CSR (PEM) for `commonName` with a new P-256 key. */
async function csr(commonName) {
  const dir = tempDir()
  await promisify(execFile)('openssl', [
    'req',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    join(dir, 'key.pem'),
    '-out',
    join(dir, 'csr.pem'),
    '-subj',
    `/CN=${commonName}`,
  ])
  return readFileSync(join(dir, 'csr.pem'), 'utf8')
}

describe('PKI', () => {
  let mount

  before(async () => {
    mount = uniqueName('pki')
    await bao('POST', `sys/mounts/${mount}`, { type: 'pki', config: { max_lease_ttl: '87600h' } })
    await bao('POST', `${mount}/root/generate/internal`, { common_name: 'ironsecrets node test root' })
    await bao('POST', `${mount}/roles/web`, {
      allowed_domains: 'example.com',
      allow_subdomains: true,
      max_ttl: '72h',
      key_type: 'ec',
      key_bits: 256,
    })
  })

  after(async () => {
    if (mount) await bao('DELETE', `sys/mounts/${mount}`)
  })

  test('pkiSign signs a CSR', async () => {
    const request = await csr('app.example.com')
    const asked = new Date()
    const signed = await vault.vault().pkiSign(mount, 'web', request, {
      commonName: 'app.example.com',
      ttl: 3600,
    })
    assert.ok(signed.certificate.startsWith('-----BEGIN CERTIFICATE-----'), signed.certificate)
    assert.ok(signed.issuingCa.startsWith('-----BEGIN CERTIFICATE-----'), signed.issuingCa)
    assert.ok(Array.isArray(signed.caChain))
    assert.equal(typeof signed.serialNumber, 'string')
    assert.ok(signed.serialNumber.length > 0)
    assert.ok(signed.expiration instanceof Date)
    // Valid for the hour asked (give or take the server's clock and backdating).
    assert.ok(signed.expiration > asked, `${signed.expiration.toISOString()} is not after ${asked.toISOString()}`)
    assert.ok(signed.expiration.getTime() <= Date.now() + 65 * 60 * 1000, signed.expiration.toISOString())
  })

  test('a name outside the role is refused', async () => {
    const request = await csr('app.example.org')
    const error = await caught(() =>
      vault.vault().pkiSign(mount, 'web', request, { commonName: 'app.example.org', ttl: 3600 }),
    )
    assert.ok(error instanceof IronsecretsError, inspect(error))
    assert.equal(error.operation, 'pki-sign')
  })

  test('a certificate issued as a credential', async () => {
    const credential = await vault.credentials.issue(
      CredentialRequest.pkiCertificate(mount, 'web', 'svc.example.com', { ttl: 600 }),
    )
    const { data } = credential
    assert.ok(data.certificate.revealString().startsWith('-----BEGIN CERTIFICATE-----'))
    const privateKey = data.private_key.revealString()
    assert.ok(privateKey.includes('PRIVATE KEY'), 'no private key')
    assert.ok(!inspect(credential, { depth: Infinity, showHidden: true }).includes(privateKey))
    assert.ok(!JSON.stringify(credential).includes(privateKey))
  })
})
