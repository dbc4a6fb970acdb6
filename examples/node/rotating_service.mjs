// A small web service whose pg.Pool follows rotating credentials.
//
// Its pool (ironsecrets/pg's createPool) logs in to PostgreSQL with dynamic credentials
// from OpenBao / Vault's database engine; the lease manager renews each credential and
// replaces it before its max ttl, and the pool moves to each new one between queries,
// revoking the old lease once its connections are closed. `GET /` answers the
// database's current_user (the credential in use), `GET /stats` what the rotation did.
//
// Run (with the ironsecrets package and pg installed):
//
//     VAULT_TOKEN=... VAULT_ADDR=http://127.0.0.1:8200 DB_MOUNT=database DB_ROLE=app \
//       PG_HOST=127.0.0.1 PG_PORT=5432 PG_DATABASE=postgres node examples/node/rotating_service.mjs
//
// Settings come from the environment (the token too: command lines are visible to other
// users); LISTEN is HOST:PORT (port 0: any). The service prints `listening on
// http://HOST:PORT` once it serves, and stops on SIGTERM or Ctrl-C (revoking its lease).
import { createServer } from 'node:http'

import { Client, CredentialRequest, LeaseManager } from 'ironsecrets'
import { createPool } from 'ironsecrets/pg'

const env = (name, fallback) => process.env[name] || fallback
const [listenHost, listenPort] = env('LISTEN', '127.0.0.1:0').split(':')

const client = await Client.open('vault', {
  address: env('VAULT_ADDR', 'http://127.0.0.1:8200'),
  token: env('VAULT_TOKEN', ''),
})
// The pool decides when an old lease goes (once drained), not the manager.
const manager = new LeaseManager(client, { revokeOldAfter: 600 })
manager.on('failed', (event) => console.error(`lease ${event.name}: ${event.errorKind}: ${event.message}`))
const lease = await manager.manage(
  'service-db',
  CredentialRequest.database(env('DB_MOUNT', 'database'), env('DB_ROLE', 'app')),
)
const pool = createPool(lease, {
  host: env('PG_HOST', '127.0.0.1'),
  port: Number(env('PG_PORT', '5432')),
  database: env('PG_DATABASE', 'postgres'),
  max: Number(env('POOL_SIZE', '4')),
})
pool.on('error', (error) => console.error(`idle connection failed: ${error.message}`))

let served = 0
const server = createServer(async (request, response) => {
  try {
    const body =
      request.url === '/stats'
        ? JSON.stringify(pool.stats())
        : (await pool.query('select current_user as user')).rows[0].user
    served += 1
    response.writeHead(200, { 'content-type': 'text/plain' }).end(body)
  } catch (error) {
    response.writeHead(503, { 'content-type': 'text/plain' }).end(`${error.name}: ${error.message}`)
  }
})
server.listen(Number(listenPort), listenHost, () => {
  const { address, port } = server.address()
  console.log(`listening on http://${address}:${port}`)
})

let stopping = false
const stop = async () => {
  if (stopping) return
  stopping = true
  server.close()
  server.closeAllConnections()
  await pool.end()
  await manager.shutdown({ revoke: true })
  console.log(`served ${served} requests on ${pool.stats().generation + 1} credentials`)
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
