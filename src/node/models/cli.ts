/**
 * `npm run models -- list | install [id] | verify [id] | remove <id>`: the on-device model catalog from a terminal, for
 * the standalone backend (`--models-dir`), offline machines (`--mirror`) and scripts. Installs go through the app's
 * ModelManager: Range resumes, SHA-256 verification, atomic install. Progress goes to stderr, results to stdout.
 * Exit codes: 0 done, 1 failed (download error, damaged model, unreadable catalog), 2 usage.
 */
import { realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseCli, parseOrExit, UsageError } from '../cli'
import { defaultModel, loadCatalog, modelSize, type Catalog, type CatalogModel } from './catalog'
import { ModelError, ModelManager, type FetchLike } from './modelManager'
import { defaultModelsDir } from './modelsDir'
import { parseMirrorBase, withMirror } from './mirror'
import { formatBytes, formatProgress, TransferMeter } from './transferMeter'
import { verifyInstalled } from './verifyInstalled'

export const USAGE = `usage: npm run models -- <command> [options]
commands:
  list                 the catalog's models: size, licence, installed or not (a partial download shows its share)
  install [id]         download, verify (SHA-256) and install a model; without an id, the default model. An install
                       that was interrupted resumes where it stopped when it is run again
  verify [id]          check installed models (or one) file by file against the catalog's sizes and SHA-256
  remove <id>          delete an installed model and any partial download of it
options:
  --models-dir <dir>   the models folder (default: $VOICE_ASSISTANT_MODELS_DIR, else the app's: <user data>/models)
  --mirror <base url>  install: fetch from a mirror of the model host (same paths), e.g. https://hf-mirror.com
  --catalog <file>     another catalog.json (default: resources/models/catalog.json)
  --json               list, verify: one JSON object on stdout instead of the table
exit codes: 0 done, 1 failed, 2 usage`

const COMMANDS = ['list', 'install', 'verify', 'remove'] as const
export type ModelsCommandName = (typeof COMMANDS)[number]

export interface ModelsCommand {
  command: ModelsCommandName
  id: string | null
  modelsDir: string
  mirror: URL | null
  catalogPath: string | null
  json: boolean
}

/** Read the command line; throws UsageError when it cannot be run as given. */
export function parseModelsArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ModelsCommand {
  const { values, positionals } = parseCli(argv, {
    positionals: ['command', 'id'],
    options: { 'models-dir': { type: 'string' }, mirror: { type: 'string' }, catalog: { type: 'string' }, json: { type: 'boolean' } }
  })
  const [command, id = null] = positionals
  if (command === undefined) throw new UsageError(`no command given; commands: ${COMMANDS.join(', ')}`)
  if (!(COMMANDS as readonly string[]).includes(command)) throw new UsageError(`unknown command ${JSON.stringify(command)}; commands: ${COMMANDS.join(', ')}`)
  const name = command as ModelsCommandName
  if (name === 'list' && id !== null) throw new UsageError('list takes no model id')
  if (name === 'remove' && id === null) throw new UsageError('remove needs the id of the model to delete (see: npm run models -- list)')
  if (values.mirror !== undefined && name !== 'install') throw new UsageError('--mirror applies to install only')
  if (values.json && (name === 'install' || name === 'remove')) throw new UsageError(`--json applies to list and verify, not ${name}`)
  let mirror: URL | null = null
  if (values.mirror !== undefined) {
    const parsed = parseMirrorBase(values.mirror)
    if (parsed instanceof Error) throw new UsageError(`--mirror: ${parsed.message}`)
    mirror = parsed
  }
  const modelsDir = values['models-dir'] ?? defaultModelsDir(env)
  if (modelsDir.trim() === '') throw new UsageError('--models-dir needs a folder')
  return { command: name, id, modelsDir, mirror, catalogPath: values.catalog ?? null, json: values.json ?? false }
}

export interface ModelsCliIo {
  /** One line of results (stdout). */
  out: (line: string) => void
  /** Text for the person watching (stderr): progress and explanations. */
  err: (text: string) => void
  /** stderr is a terminal: progress rewrites one line; otherwise it prints a line at most every `progressEveryMs`. */
  errIsTty: boolean
  progressEveryMs?: number
  now?: () => number
  fetch?: FetchLike
  /** Install calls this with a function that stops the download; it returns a function that unhooks it. */
  onInterrupt?: (stop: () => void) => () => void
}

/** Run a parsed command; resolves to the exit code. Usage problems found here (an id not in the catalog) give 2. */
export async function runModels(cmd: ModelsCommand, io: ModelsCliIo): Promise<number> {
  let catalog: Catalog
  try {
    catalog = cmd.catalogPath ? await loadCatalog(cmd.catalogPath) : await loadCatalog()
  } catch (error) {
    io.err(`models: ${(error as Error).message}\n`)
    return 1
  }
  let model: CatalogModel | null = null
  if (cmd.id !== null) {
    model = catalog.models.find((m) => m.id === cmd.id) ?? null
    if (!model) {
      io.err(`models: no model ${JSON.stringify(cmd.id)} in the catalog; models: ${catalog.models.map((m) => m.id).join(', ') || 'none'}\n`)
      return 2
    }
  }
  switch (cmd.command) {
    case 'list':
      return list(cmd, catalog, io)
    case 'install':
      return install(cmd, catalog, model ?? defaultModel(catalog), io)
    case 'verify':
      return verify(cmd, catalog, model, io)
    case 'remove':
      return remove(cmd, catalog, model!, io)
  }
}

async function list(cmd: ModelsCommand, catalog: Catalog, io: ModelsCliIo): Promise<number> {
  const manager = new ModelManager({ modelsDir: cmd.modelsDir, catalog })
  const infos = await manager.list()
  const fallback = defaultModel(catalog)?.id
  if (cmd.json) {
    io.out(JSON.stringify({ modelsDir: manager.modelsDir, models: infos.map((m) => ({ ...m, default: m.id === fallback })) }))
    return 0
  }
  const rows = infos.map((m) => {
    const state = m.state === 'installed' ? 'installed' : m.receivedBytes > 0 ? `partial ${Math.floor((m.receivedBytes / m.sizeBytes) * 100)}% (install resumes)` : 'not installed'
    return [m.id, formatBytes(m.sizeBytes), state, m.license, `${m.name}${m.id === fallback ? ' (default)' : ''}`]
  })
  const table = [['MODEL', 'SIZE', 'STATE', 'LICENSE', 'NAME'], ...rows]
  const widths = table[0]!.map((_, c) => Math.max(...table.map((r) => r[c]!.length)))
  for (const row of table) io.out(row.map((cell, c) => (c === row.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  '))
  io.out(`models folder: ${manager.modelsDir}`)
  return 0
}

async function install(cmd: ModelsCommand, shipped: Catalog, model: CatalogModel | null, io: ModelsCliIo): Promise<number> {
  if (!model) {
    io.err('models: the catalog has no models\n')
    return 1
  }
  const catalog = cmd.mirror ? withMirror(shipped, cmd.mirror) : shipped
  const now = io.now ?? (() => performance.now())
  const manager = new ModelManager({ modelsDir: cmd.modelsDir, catalog, fetch: io.fetch, progressIntervalMs: io.errIsTty ? 200 : 0 })
  if (await manager.installedPath(model.id)) {
    io.out(`${model.id} is already installed in ${manager.modelsDir}`)
    return 0
  }
  const total = modelSize(model)
  const source = new URL(catalog.models.find((m) => m.id === model.id)!.files[0]!.url)
  io.err(`installing ${model.name}: ${formatBytes(total)}, licence ${model.license} (${model.licenseUrl}), from ${source.origin}${cmd.mirror ? ' (mirror)' : ''}\n`)
  const already = (await manager.list()).find((m) => m.id === model.id)?.receivedBytes ?? 0
  if (already > 0) io.err(`resuming: ${formatBytes(already)} of it is already here\n`)

  const meter = new TransferMeter(total)
  const every = io.progressEveryMs ?? 1000
  let lastLine = -Infinity
  let drawn = false
  const draw = (received: number, final: boolean): void => {
    const at = now()
    const reading = meter.update(at, received)
    if (!final && !io.errIsTty && at - lastLine < every) return
    lastLine = at
    const line = formatProgress(model.id, received, total, reading)
    if (io.errIsTty) {
      io.err(`\r${line}\x1b[K${final ? '\n' : ''}`)
      drawn = !final
    } else io.err(`${line}\n`)
  }
  const onProgress = (p: { modelId: string; state: string; receivedBytes: number }): void => {
    if (p.modelId !== model.id) return
    if (p.state === 'downloading') draw(p.receivedBytes, false)
    else if (p.state === 'installed') draw(total, true)
  }
  const unlisten = manager.events.on('progress', onProgress)
  const unhook = io.onInterrupt?.(() => manager.cancel(model.id))
  try {
    await manager.download(model.id)
    io.out(`installed ${model.id} in ${manager.modelsDir}`)
    return 0
  } catch (error) {
    if (drawn) io.err('\n')
    const e = error as Error
    if (e instanceof ModelError && e.code === 'cancelled') io.err('models: the download was stopped; run the same command again to resume it\n')
    else io.err(`models: installing ${model.id} failed: ${e.message}\n`)
    return 1
  } finally {
    unhook?.()
    unlisten()
  }
}

async function verify(cmd: ModelsCommand, catalog: Catalog, model: CatalogModel | null, io: ModelsCliIo): Promise<number> {
  const manager = new ModelManager({ modelsDir: cmd.modelsDir, catalog })
  const checks = await verifyInstalled(manager.modelsDir, catalog, model ? [model.id] : undefined)
  const relevant = model ? checks : checks.filter((c) => c.state !== 'not_installed')
  const failed = relevant.some((c) => c.state !== 'ok')
  if (cmd.json) {
    io.out(JSON.stringify({ modelsDir: manager.modelsDir, models: relevant }))
    return failed ? 1 : 0
  }
  if (!relevant.length) io.out(`no models are installed in ${manager.modelsDir}`)
  for (const c of relevant) {
    if (c.state === 'ok') io.out(`ok       ${c.id}`)
    else if (c.state === 'not_installed') io.out(`missing  ${c.id} is not installed in ${manager.modelsDir}`)
    else {
      io.out(`damaged  ${c.id}: ${c.problems.join('; ')}`)
      io.err(`models: reinstall it: npm run models -- remove ${c.id} && npm run models -- install ${c.id}\n`)
    }
  }
  return failed ? 1 : 0
}

async function remove(cmd: ModelsCommand, catalog: Catalog, model: CatalogModel, io: ModelsCliIo): Promise<number> {
  const manager = new ModelManager({ modelsDir: cmd.modelsDir, catalog })
  const info = (await manager.list()).find((m) => m.id === model.id)!
  if (info.state !== 'installed' && info.receivedBytes === 0) {
    io.out(`${model.id} is not installed in ${manager.modelsDir}`)
    return 0
  }
  try {
    await manager.delete(model.id)
  } catch (error) {
    io.err(`models: removing ${model.id} failed: ${(error as Error).message}\n`)
    return 1
  }
  io.out(`removed ${model.id} from ${manager.modelsDir}${info.state === 'installed' ? '' : ' (a partial download)'}`)
  return 0
}

function isEntry(): boolean {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url))
  } catch {
    return false
  }
}

if (isEntry()) {
  const command = parseOrExit('models', () => parseModelsArgs(process.argv.slice(2)), USAGE)
  process.exitCode = await runModels(command, {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (text) => process.stderr.write(text),
    errIsTty: process.stderr.isTTY === true,
    onInterrupt: (stop) => {
      const handler = (): void => stop()
      process.once('SIGINT', handler)
      return () => process.off('SIGINT', handler)
    }
  })
}
