// The main job on the embedded store, from Node, with no server: store, read, version
// and rotate secrets, encrypt with a transit key, then show the rotation status.
//
// Run (with the ironsecrets package installed):
//
//     node examples/node/quickstart.mjs
//
// It uses IRONSECRETS_MASTER_KEY when set, a throw-away demo key otherwise, and a store
// file in a temporary directory that is removed at the end.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { Client, IronsecretsError, RotationPolicy } from 'ironsecrets'

const DEMO_KEY = 'quickstart demo key - never use in production'

/** The quickstart on the store file `store` (created here). */
async function run(store, masterKey) {
  const client = await Client.fromUri(`local://${store}`, { master_key: masterKey, create_new: true })
  console.log(`opened ${store} on the ${client.name} backend`)

  // A key/value secret with a rotation policy, read back field by field.
  await client.put(
    'app/db',
    { username: 'app', password: 'first-password' },
    { rotation: RotationPolicy.days(30, 7) },
  )
  const fields = (await client.get('app/db')).value.fields()
  console.log(`app/db username = ${fields.username.revealString()}`)
  console.log(`app/db password = ${fields.password} (values print redacted)`)

  // Rotate: a new version; the old one stays readable by number.
  const v2 = await client.put('app/db', { username: 'app', password: 'second-password' })
  const v1 = await client.getVersion('app/db', 1)
  const versions = (await client.versions('app/db')).map((v) => `${v.version} (${v.state})`).join(', ')
  console.log(`rotated app/db to version ${v2.version}; version ${v1.version} is still readable`)
  console.log(`app/db versions: ${versions}`)
  await client.put('app/api-key', 'sk-test-123')

  // Encrypt with a transit key that never leaves the store.
  const { transit } = client
  await transit.createKey('payments')
  const ciphertext = await transit.encrypt('payments', '4111 1111 1111 1111')
  const plaintext = await transit.decrypt('payments', ciphertext)
  console.log(`transit ciphertext ${ciphertext} decrypts to ${plaintext.length} bytes`)

  console.log('\nrotation status:')
  for (const entry of await client.rotationStatus()) {
    const policy = entry.defaultPolicy ? ' (default policy)' : ''
    console.log(`  ${entry.path.padEnd(14)} ${entry.status}${policy}`)
  }
}

let masterKey = process.env.IRONSECRETS_MASTER_KEY
if (!masterKey) {
  console.log('IRONSECRETS_MASTER_KEY is not set: using a throw-away demo key for this run')
  masterKey = DEMO_KEY
}
const directory = mkdtempSync(join(tmpdir(), 'ironsecrets-quickstart-'))
try {
  await run(join(directory, 'store.db'), masterKey)
} catch (error) {
  if (!(error instanceof IronsecretsError)) throw error
  console.error(`quickstart failed: ${error.code}: ${error.message}`)
  process.exitCode = 1
} finally {
  rmSync(directory, { recursive: true, force: true })
}
