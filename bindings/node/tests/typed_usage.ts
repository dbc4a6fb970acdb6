// Type-checked by `tsc --noEmit --strict` (cargo xtask node) against index.d.ts, pg.d.ts
// and the generated native.d.ts: every public name used as a TypeScript service would
// use it.
import {
  Client,
  ConflictError,
  CredentialRequest,
  ERROR_KINDS,
  IronsecretsError,
  LeaseManager,
  NotFoundError,
  RotationPolicy,
  SecretValue,
  version,
  type Capabilities,
  type ErrorCode,
  type KeyInfo,
  type LeaseEvent,
  type LeasedCredential,
  type RotationEntry,
  type Secret,
  type SecretMetadata,
  type VersionInfo,
} from 'ironsecrets'
import { createPool, type RotatingPool } from 'ironsecrets/pg'

export async function secrets(path: string, masterKey: string): Promise<string> {
  const client: Client = await Client.fromUri(`local://${path}`, {
    master_key: masterKey,
    create: true,
    kdf_memory_kib: 1024,
    kdf_iterations: 1,
    kdf_parallelism: 1,
  })
  const caps: Capabilities = client.capabilities()
  const hasHmac: boolean = caps.transit?.hmac ?? false
  const written: VersionInfo = await client.put('app/api-key', 'sk-typed', {
    tags: { team: 'payments' },
    rotation: RotationPolicy.days(30),
    maxVersions: 5,
  })
  await client.put('app/api-key', Buffer.from('sk-typed-2'), { cas: Number(written.version) })
  await client.put('app/db', { username: 'app', password: new SecretValue('pw') })
  await client.patch('app/db', { password: 'pw2' }, ['username'])
  const secret: Secret = await client.get('app/api-key', { version: 1, signal: AbortSignal.timeout(5000) })
  const old: Secret = await client.getVersion('app/api-key', '1')
  const fields: Record<string, SecretValue> = (await client.get('app/db')).value.fields()
  const paths: string[] = await client.list('app/')
  const versions: VersionInfo[] = await client.versions('app/api-key')
  const meta: SecretMetadata = await client.updateMetadata('app/api-key', { clearRotation: true })
  const status: RotationEntry[] = await client.rotationStatus('app/', { at: new Date() })
  await client.delete('app/api-key', [1])
  await client.undelete('app/api-key', [1])
  await client.destroy('app/api-key', [1])
  await client.purge('app/db')

  const transit = client.transit
  const key: KeyInfo = await transit.createKey('typed', { keyType: 'aes256-gcm96' })
  const ciphertext: string = await transit.encrypt('typed', 'plain', { context: Buffer.from('ctx') })
  const plain: SecretValue = await transit.decrypt('typed', ciphertext, { context: Buffer.from('ctx') })
  const rewrapped: string = await transit.rewrap('typed', ciphertext, { context: Buffer.from('ctx') })
  await transit.rotateKey('typed')
  await transit.setMinDecryptionVersion('typed', 1)
  await transit.createKey('signer', { keyType: 'ed25519' })
  const signature: string = await transit.sign('signer', 'data')
  const valid: boolean = await transit.verify('signer', 'data', signature)
  await transit.createKey('mac', { keyType: 'hmac' }).catch(() => undefined)
  const dataKey = await transit.generateDataKey('typed', { bits: 256 })
  const keys: string[] = await transit.listKeys()

  try {
    await client.get('missing')
  } catch (error) {
    if (error instanceof NotFoundError) {
      const code: ErrorCode = error.code
      const where: string | null = error.path
      void [code, where]
    } else if (error instanceof IronsecretsError && error.retryable) {
      void error.retryAfter
    }
  }
  const kinds: readonly ErrorCode[] = ERROR_KINDS
  void [hasHmac, old, fields, paths, versions, meta, status, key, rewrapped, valid, dataKey.ciphertext, keys, kinds, version]
  void (ConflictError.prototype instanceof IronsecretsError)
  return `${secret.value} ${plain.revealString().length} ${secret.value.reveal().length}`
}

export async function vault(address: string, token: string): Promise<void> {
  const client = await Client.open('vault', { address, token })
  const engines = client.vault()
  const health = await engines.health()
  const self = await engines.lookupSelf()
  const login = await engines.loginUserpass('user', 'password', { mount: 'userpass' })
  void [health.status, self.policies, login.token.revealString(), login.lease.ttl]
  const credential: LeasedCredential = await client.credentials.issue(
    CredentialRequest.database('database', 'app'),
  )
  await client.leases.renew(credential.lease.id, { increment: 60 })
  await client.leases.revoke(credential.lease.id)

  const manager = new LeaseManager(client, { revokeOldAfter: 600 })
  manager.on('rotated', (event: LeaseEvent) => void event.lease?.expiresAt)
  const lease = await manager.manage('db', CredentialRequest.database('database', 'app'))
  for await (const event of lease.events()) {
    if (event.kind === 'revoked') break
  }
  const next: LeasedCredential | null = await lease.changed({ signal: AbortSignal.timeout(1000) })
  void next
  const pool: RotatingPool = createPool(lease, { host: '127.0.0.1', port: 5432, database: 'app', max: 4 })
  const { rows } = await pool.query<{ user: string }>('select current_user as user')
  const user: string = rows[0].user
  const connection = await pool.connect()
  connection.release()
  void [user, pool.generation, pool.stats().revokedDrained]
  await pool.end()
  await lease.stop({ revoke: true })
  await manager.shutdown()
}
