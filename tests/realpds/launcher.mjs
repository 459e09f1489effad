// Starts the official Bluesky PDS (@atproto/pds from npm) for paperbot's real-PDS tests, with a
// PLC directory of its own (@did-plc/server, kept in memory), both on 127.0.0.1.
//
// The harness (tests/realpds/harness.py) copies this file beside the node_modules it installed
// and runs it with that Node (22 or newer). Settings come from the environment:
//   PAPERBOT_PDS_DATA         an empty directory for the PDS's databases and blobs
//   PAPERBOT_PDS_PUBLIC_URL   the URL the PDS advertises in DID documents (the harness's front
//                             proxy, so every request a client makes passes through it)
//   PAPERBOT_PDS_ADMIN_PASSWORD, PAPERBOT_PDS_JWT_SECRET (the key of its access tokens: the tests
//                             sign an expired one with it)
// On success it prints one JSON line, {"ready": true, "pds": ..., "plc": ..., "version": ...},
// then serves until stdin closes or SIGTERM arrives (so it never outlives the test run).

import crypto from 'node:crypto'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const HOST = '127.0.0.1'

// The packages bind every interface (app.listen(port)); tests keep to loopback.
function onLoopback(app) {
  const listen = app.listen.bind(app)
  app.listen = (port, ...rest) => listen(port, HOST, ...rest)
}

// A port the kernel says is free: the PDS must know its own port before it starts.
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer()
    probe.once('error', reject)
    probe.listen(0, HOST, () => {
      const { port } = probe.address()
      probe.close(() => resolve(port))
    })
  })
}

// A secp256k1 private key as 64 hex digits (the PDS's PLC rotation key).
function k256Hex() {
  const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'secp256k1' })
  const d = privateKey.export({ format: 'jwk' }).d
  return Buffer.from(d, 'base64url').toString('hex').padStart(64, '0')
}

// The version npm installed beside this file (0.4.x servers do not report it in their config).
function installedVersion(name) {
  const here = path.dirname(fileURLToPath(import.meta.url))
  const file = path.join(here, 'node_modules', name, 'package.json')
  return JSON.parse(fs.readFileSync(file, 'utf8')).version
}

// CommonJS packages arrive as {default: module.exports}; ES modules as their exports.
async function load(name) {
  const module = await import(name)
  return module.default && !module.PDS && !module.PlcServer ? module.default : module
}

async function main() {
  const data = process.env.PAPERBOT_PDS_DATA
  if (!data) throw new Error('PAPERBOT_PDS_DATA is not set')
  fs.mkdirSync(path.join(data, 'blobs'), { recursive: true })

  const plcPackage = await load('@did-plc/server')
  const plc = plcPackage.PlcServer.create({ db: plcPackage.Database.mock(), port: 0 })
  onLoopback(plc.app)
  const plcServer = await plc.start()
  const plcUrl = `http://${HOST}:${plcServer.address().port}`

  const port = await freePort()
  Object.assign(process.env, {
    PDS_HOSTNAME: 'localhost',
    PDS_PORT: String(port),
    PDS_DATA_DIRECTORY: data,
    PDS_BLOBSTORE_DISK_LOCATION: path.join(data, 'blobs'),
    PDS_DID_PLC_URL: plcUrl,
    PDS_INVITE_REQUIRED: 'false',
    PDS_DEV_MODE: 'true',
    PDS_ADMIN_PASSWORD: process.env.PAPERBOT_PDS_ADMIN_PASSWORD || 'admin-pass',
    PDS_JWT_SECRET: process.env.PAPERBOT_PDS_JWT_SECRET || crypto.randomBytes(32).toString('hex'),
    PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX: k256Hex(),
    LOG_ENABLED: process.env.LOG_ENABLED || 'false',
  })
  const pdsPackage = await load('@atproto/pds')
  const env = pdsPackage.readEnv()
  const cfg = pdsPackage.envToCfg(env)
  if (process.env.PAPERBOT_PDS_PUBLIC_URL) {
    cfg.service.publicUrl = process.env.PAPERBOT_PDS_PUBLIC_URL
  }
  const pds = await pdsPackage.PDS.create(cfg, pdsPackage.envToSecrets(env))
  onLoopback(pds.app)
  await pds.start()

  const stop = async () => {
    await pds.destroy().catch(() => {})
    await plc.destroy().catch(() => {})
    process.exit(0)
  }
  process.on('SIGTERM', stop)
  process.stdin.on('end', stop)
  process.stdin.resume()
  console.log(
    JSON.stringify({
      ready: true,
      pds: `http://${HOST}:${port}`,
      plc: plcUrl,
      version: installedVersion('@atproto/pds'),
    }),
  )
}

main().catch((error) => {
  console.error(error && error.stack ? error.stack : String(error))
  process.exit(1)
})
