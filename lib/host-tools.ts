// Host tools datakeep runs itself (zstd for snapshots, the mariadb client): found on PATH, else
// installed with apt-get when root on Debian/Ubuntu, else one error naming the command to run.
import fs from 'node:fs'
import path from 'node:path'
import type { Config } from './config.ts'
import { UserError } from './errors.ts'
import { step } from './log.ts'
import { HOST, run } from './run.ts'

export interface HostTool { cmd: string; pkg: string }

export function onPath(cmd: string, pathVar: string): boolean {
  return pathVar.split(path.delimiter).filter(Boolean).some((d) => {
    try { fs.accessSync(path.join(d, cmd), fs.constants.X_OK); return true } catch { return false }
  })
}

export async function ensureHostTools(cfg: Config, tools: HostTool[]): Promise<void> {
  const missing = tools.filter((t) => !onPath(t.cmd, cfg.hostPath))
  if (missing.length === 0) return
  const pkgs = [...new Set(missing.map((t) => t.pkg))]
  const hasApt = fs.existsSync('/usr/bin/apt-get')
  if (process.getuid?.() !== 0 || !hasApt) {
    throw new UserError(`${missing.map((t) => t.cmd).join(', ')} ${missing.length === 1 ? 'is' : 'are'} not installed`, {
      hint: `to fix: ${hasApt ? 'sudo apt-get install -y' : 'install'} ${pkgs.join(' ')}`,
    })
  }
  step(`installing ${pkgs.join(' ')} with apt-get`)
  await run(HOST, ['apt-get', 'update'], { env: { DEBIAN_FRONTEND: 'noninteractive' } })
  await run(HOST, ['apt-get', 'install', '-y', '--no-install-recommends', ...pkgs], { env: { DEBIAN_FRONTEND: 'noninteractive' } })
}
